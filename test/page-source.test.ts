// One run's paging of its source (DESIGN §1): the scope given once, each page handed over finished.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { pino } from 'pino';
import type { SourceConfig } from '../src/config.js';
import type { FinishedPage } from '../src/source/finished-page.js';
import { recordId } from '../src/source/page.js';
import { pageSource, type SourcePaging } from '../src/source/page-source.js';
import { reconcileRules, type Scope } from '../src/source/paging-scope.js';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat } from './fixtures/raw-chat.ts';
import { tempDir } from './helpers/temp-dir.ts';

const hour = 60 * 60 * 1000;
const start = Date.parse('2026-11-01T00:00:00.000Z');
// Chats 1..50, one an hour, without 40 (an admin deleted it): pages of 20, newest first.
const chats = Array.from({ length: 50 }, (_, i) => i + 1)
  .filter((id) => id !== 40)
  .map((id) => makeChat({ id, createdAt: new Date(start + id * hour).toISOString() }));
const retry = { retries: 0, minDelayMs: 1, maxDelayMs: 5, retryAfterCapMs: 5 };

function recordingLog() {
  const lines: Record<string, unknown>[] = [];
  return { log: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }), lines };
}

async function pageAll(source: SourceConfig, scope: Scope, options: Partial<SourcePaging> = {}) {
  const { log, lines } = recordingLog();
  const finished: FinishedPage[] = [];
  const stage = async (page: FinishedPage) => void finished.push(page);
  const done = await lastValueFrom(pageSource({ source, timeoutMs: 5000, retry, realNow: Date.now, log, scope, ...options }, stage).pipe(toArray()));
  return { finished, emitted: done.map(({ page }) => page.offset), lines };
}

const standIn = await startStandIn({ chats });
after(() => standIn.close());
const api: SourceConfig = { kind: 'api', baseUrl: standIn.url, apiKey: standIn.apiKey };
const file: SourceConfig = { kind: 'file', path: join(await tempDir(), 'chats.ndjson') };
await writeFile(file.path, chats.map((chat) => JSON.stringify(chat)).join('\n') + '\n');

describe("a run's paging of its source", () => {
  it('hands each API page over finished, takes what the scope takes and stops where it stops', async () => {
    const scope: Scope = { cursorId: 45, horizonMs: start + 25 * hour, backfillMs: undefined };
    const { finished, emitted } = await pageAll(api, scope);
    assert.deepEqual(emitted, [0, 1], 'page 1 lies wholly at or below the cursor: the last');
    assert.deepEqual(finished.map((page) => page.offset), [0, 1]);
    const [first, second] = finished;
    assert.deepEqual(first?.absentBetween, [{ above: 41, below: 39 }]);
    assert.deepEqual(second?.taken.map(recordId), [29, 28, 27, 26, 25]);
    assert.equal(second?.older, 15);
    assert.equal(second?.turns.length, 20);
  });

  it("warns once, on page 0, when the source's newest chat is below the cursor", async () => {
    const { lines } = await pageAll(api, { cursorId: 60, horizonMs: Number.NEGATIVE_INFINITY, backfillMs: undefined });
    const warnings = lines.filter((line) => line['level'] === 40);
    assert.deepEqual(warnings.map((line) => [line['newest'], line['cursor'], line['msg']]), [
      [50, 60, "the source's newest chat id 50 is below the cursor 60: its newest chats were deleted, or the source went back (AnythingLLM restored from a backup, or BASE_URL names another server); paging goes on as usual, and chats under reused ids are sent as new chats"],
    ]);
  });

  it("takes reconcile's rules instead of the scope's: only chats at or below the cursor, back to its date", async () => {
    const scope: Scope = { cursorId: 45, horizonMs: Number.NEGATIVE_INFINITY, backfillMs: undefined };
    const { finished } = await pageAll(api, scope, { rules: reconcileRules(45, start + 15 * hour) });
    assert.deepEqual(finished.map((page) => page.offset), [0, 1, 2], 'page 2 is wholly older than the date');
    assert.deepEqual(finished[0]?.taken.map(recordId).slice(0, 2), [45, 44]);
    assert.equal(finished[0]?.older, 5);
    assert.deepEqual(finished[2]?.taken.map(recordId), [], 'chats 1..10 are older than the date');
  });

  it('reads a file to its end, and its pages prove nothing absent', async () => {
    const { finished } = await pageAll(file, { cursorId: 45, horizonMs: Number.NEGATIVE_INFINITY, backfillMs: undefined }, { rules: reconcileRules(45, start + 45 * hour) });
    assert.deepEqual(finished.map((page) => page.offset), [0, 1, 2]);
    assert.deepEqual(finished.flatMap(({ absentBetween }) => absentBetween), []);
  });
});
