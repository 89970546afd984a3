import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openSync, closeSync, fstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat } from './fixtures/raw-chat.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { cliEnv } from './helpers/cli-env.js';
import { cliPath, runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const t0 = Date.parse('2026-11-10T15:00:00Z');
const hour = 3_600_000;

describe('what operators read', () => {
  it('a webhook refusing the signature: the run stops after 10 in a row, naming the URL, HTTP 401 and WEBHOOK_SECRET (exit 6)', async () => {
    // Twelve histories with one closed conversation each.
    const chats = Array.from({ length: 12 }, (_, i) => makeChat({ id: i + 1, thread_id: i + 1, user_id: 1, createdAt: new Date(t0 + i * 60_000).toISOString() }));
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver({ secret: 'the receiver secret' });
    try {
      const result = await runCli(['run', '--now', new Date(t0 + 3 * hour).toISOString(), '--concurrency', '1'], cliEnv(standIn, receiver, await tempDir(), { WEBHOOK_SECRET: 'another secret' }));
      assert.equal(result.code, 6, result.stdout + result.stderr);
      assert.equal(receiver.deliveries.length, 10, 'no new delivery starts once the webhook is taken to be down');
      const last = result.lines.at(-1);
      assert.equal(last?.['code'], 'MC_WEBHOOK_DOWN');
      assert.match(last?.['msg'], /the webhook at http:\/\/127\.0\.0\.1:\d+\/hook failed 10 deliveries in a row \(last: HTTP 401: invalid signature\): it refuses the requests — check WEBHOOK_SECRET/);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('under the journal, every line of a start that fails before logging (a missing setting) is one JSON object', async () => {
    const dir = await tempDir();
    const out = join(dir, 'journal');
    const fd = openSync(out, 'w');
    const { dev, ino } = fstatSync(fd);
    try {
      const child = spawn(process.execPath, [cliPath, 'run'], { env: { PATH: process.env['PATH'], JOURNAL_STREAM: `${dev}:${ino}`, STATE_DIR: join(dir, 'state') }, stdio: ['ignore', fd, fd] });
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal(code, 2);
    } finally {
      closeSync(fd);
    }
    const lines = readFileSync(out, 'utf8').split('\n').filter((line) => line !== '');
    assert.ok(lines.length > 0);
    for (const line of lines) {
      const json = JSON.parse(line.replace(/^<\d>/, ''));
      assert.equal(json.code, 'MC_CONFIG');
      assert.match(json.msg, /BASE_URL is missing/);
    }
  });

  it('in a pipe (a container, cron), a start that fails before logging is one JSON line on stderr, timed like every other line', async () => {
    const result = await runCli(['run'], { STATE_DIR: await tempDir() });
    assert.equal(result.code, 2);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, result.stderr);
    const json = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.deepEqual([json['level'], json['code']], [50, 'MC_CONFIG']);
    assert.match(String(json['msg']), /BASE_URL is missing/);
    assert.match(String(json['time']), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'an ISO time, as pino writes it');
  });

  it('under the journal, reconcile writes only JSON lines: the ids it found go in a log line, the table is for a terminal', async () => {
    const chats = Array.from({ length: 6 }, (_, i) => makeChat({ id: i + 1, thread_id: 1, user_id: 1, createdAt: new Date(t0 + i * 60_000).toISOString() }));
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    const dir = await tempDir();
    const env = cliEnv(standIn, receiver, join(dir, 'state'));
    const out = join(dir, 'journal');
    try {
      assert.equal((await runCli(['run', '--now', new Date(t0 + 5 * hour).toISOString()], env)).code, 0);
      const fd = openSync(out, 'w');
      const { dev, ino } = fstatSync(fd);
      try {
        const child = spawn(process.execPath, [cliPath, 'reconcile'], { env: { ...env, PATH: process.env['PATH'], JOURNAL_STREAM: `${dev}:${ino}` }, stdio: ['ignore', fd, fd] });
        assert.equal(await new Promise((resolve) => child.on('close', resolve)), 0);
      } finally {
        closeSync(fd);
      }
    } finally {
      await standIn.close();
      await receiver.close();
    }
    const lines = readFileSync(out, 'utf8').split('\n').filter((line) => line !== '');
    const parsed = lines.map((line) => JSON.parse(line.replace(/^<\d>/, '')) as Record<string, any>);
    assert.ok(parsed.some((line) => /^reconcile finished: 6 chats read, 0 missed/.test(line['msg'])), lines.join('\n'));
    assert.deepEqual(parsed.find((line) => line['found'] !== undefined)?.['found']['missed'], { count: 0, ids: [] });
  });

  it('a source that does not answer: check asks whether BASE_URL is right and AnythingLLM running (exit 5)', async () => {
    const result = await runCli(['check'], { BASE_URL: 'http://127.0.0.1:9', API_KEY: 'k', WEBHOOK_URL: 'http://127.0.0.1:9/hook', STATE_DIR: await tempDir(), RETRY_MIN_DELAY: '1' });
    assert.equal(result.code, 5, result.stdout + result.stderr);
    const last = result.lines.at(-1);
    assert.equal(last?.['code'], 'MC_SOURCE_UNAVAILABLE');
    assert.match(last?.['msg'], /is BASE_URL right, and is AnythingLLM running\?/);
    assert.match(last?.['cause'] ?? '', /ECONNREFUSED|refused/);
  });
});
