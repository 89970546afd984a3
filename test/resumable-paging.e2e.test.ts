import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { numericId } from './fixtures/raw-chat.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, cliEnv } from './helpers/cli-env.js';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

// DESIGN §1: "A history too long for one run's deadline … still completes over several runs: each run resumes paging
// near where the last one stopped instead of starting over."

const hour = 3_600_000;
const end = Date.parse('2026-11-20T09:00:00Z');

describe('resumable paging (DESIGN §1)', () => {
  it('a first backfill of 20,000 chats at 50 ms a page with RUN_DEADLINE=20s completes over several runs, reading at most 1.2× its pages, losing nothing, while chats are written between runs', { timeout: 240_000 }, async () => {
    const chats = generateChats({ count: 20_000, seed: 61, start: new Date(end - 60 * 24 * hour), end: new Date(end), workspaces: 3, threadsPerWorkspace: 3, realNowMs: end }).map((chat) => ({ ...chat, include: true }));
    const ids = chats.map((chat) => numericId(chat)!);
    const standIn = await startStandIn({ chats, pageLatencyMs: 50 });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    const env = cliEnv(standIn, receiver, stateDir, { RUN_DEADLINE: '20s' });
    const codes: number[] = [];
    let resumed = 0;
    try {
      // Bounded: a run that stops at its deadline has read about 15 s of pages; 20,000 chats are 1,000 pages.
      for (let run = 0; run < 8 && codes.at(-1) !== 0; run++) {
        const result = await runCli(['run', '--now', new Date(end + 2 * hour).toISOString()], env);
        assert.ok(result.code === 0 || result.code === 8, `run ${run + 1} exit ${result.code}: ${result.stdout.slice(-2000)}${result.stderr}`);
        if (result.code === 8) assert.match(result.stdout, /MC_DEADLINE/);
        // A run stopped while delivering has finished paging: the next one has nothing to resume.
        if (/resuming paging where an earlier run stopped/.test(result.stdout)) resumed++;
        codes.push(result.code!);
        if (result.code === 0) assert.equal(summaryOf(result)?.['cursorAfter'], Math.max(...ids));
        if (result.code === 8) {
          // Chats written between runs push every row down by seven and a half pages: the next run reads them, then
          // finds where the last one stopped by ids.
          const fresh = generateChats({ count: 150, seed: 62 + run, start: new Date(end), end: new Date(end + 50 * 60_000), firstId: Math.max(...ids) + 1, realNowMs: end }).map((chat) => ({ ...chat, include: true }));
          standIn.add(...fresh);
          ids.push(...fresh.map((chat) => numericId(chat)!));
        }
      }
      assert.equal(codes.at(-1), 0, `finished (${codes.join(', ')})`);
      assert.ok(codes.length >= 2 && codes.slice(0, -1).every((code) => code === 8), `stopped at the deadline first (${codes.join(', ')})`);
      const pagesRead = standIn.requests.filter((r) => r.status === 200).length;
      const needed = Math.ceil(ids.length / 20);
      assert.ok(pagesRead <= 1.2 * needed, `read ${pagesRead} pages over ${codes.length} runs; ${needed} are needed`);
      // A run stopped at its deadline mid-POST resends that conversation with the same Idempotency-Key (DESIGN §4), which
      // the receiver acknowledges as a duplicate: count each key once, and no chat under two keys.
      const delivered = [...receiver.accepted.values()].flatMap((body) => chatIdsOf(body));
      assert.equal(new Set(delivered).size, delivered.length, 'no chat delivered under two keys');
      assert.deepEqual([...delivered].sort((a, b) => a - b), [...ids].sort((a, b) => a - b), 'every chat delivered');
      console.log(`# resumable paging: ${codes.length} runs (${codes.join(', ')}), ${resumed} resumed, ${pagesRead} pages read for ${needed}`);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});
