import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shownCommandLine } from '../src/command-line.js';

describe('the command line status.json, the holder and the log record', () => {
  it('shows the webhook as its origin and BASE_URL without credentials or query, in both flag forms; the rest as typed', () => {
    assert.equal(
      shownCommandLine(['run', '--webhook-url', 'https://hooks.example/n8n/tok-123?x=1', '--base-url=http://u:p@anything:3001/?k=1', '--backfill', '2026-11-01']),
      'memory-cron run --webhook-url https://hooks.example/… --base-url=http://anything:3001/ --backfill 2026-11-01',
    );
    assert.equal(shownCommandLine(['run', '--webhook-url=http://127.0.0.1:8080/hook/tok']), 'memory-cron run --webhook-url=http://127.0.0.1:8080/…');
    assert.equal(shownCommandLine(['run', '--retract-webhook-url', 'https://hooks.example/forget/tok-9', '--retract-webhook-url=http://127.0.0.1:8080/f/tok']), 'memory-cron run --retract-webhook-url https://hooks.example/… --retract-webhook-url=http://127.0.0.1:8080/…');
    assert.equal(shownCommandLine(['status', '--json']), 'memory-cron status --json');
  });
});
