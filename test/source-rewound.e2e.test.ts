import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat, type ChatRecord } from './fixtures/raw-chat.ts';
import { startWebhookReceiver, type Delivery, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, cliEnv } from './helpers/cli-env.js';
import { runCli, summaryOf, type CliResult } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

// DESIGN §1 "A chat's identity": a chat under an id that belonged to a sent chat is another chat — the source went
// back (AnythingLLM restored from a backup) or BASE_URL names another server. It is sent as a new chat, once.

const minute = 60_000;
const hour = 60 * minute;
const base = Date.parse('2026-11-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const accepted = (receiver: Receiver): Delivery[] => receiver.deliveries.filter((d) => d.status >= 200 && d.status < 300);
const warnings = (result: CliResult, code: string) => result.stdout.split('\n').filter((line) => line.includes(`"code":"${code}"`));

// Chat i of ten threads, four minutes apart, with a three-hour break after every hundred: conversations of ten chats.
const oldChat = (i: number): ChatRecord => makeChat({ id: i, thread_id: (i % 10) + 1, createdAt: iso(base + i * 4 * minute + Math.floor(i / 100) * 3 * hour), prompt: `before the restore ${i}` });

function deliveredIds(deliveries: readonly Delivery[]): number[] {
  return deliveries.flatMap((d) => chatIdsOf(d.body)).sort((a, b) => a - b);
}

describe('a source that goes back (DESIGN §1 "A chat\'s identity")', () => {
  it('AnythingLLM restored from a backup: the 300 chats written since (ids 2801–3100) are each sent once, none of the 2,800 kept chats again, one MC_SOURCE_REWOUND', async () => {
    const first = Array.from({ length: 3000 }, (_, i) => oldChat(i + 1));
    const night1 = base + 3000 * 4 * minute + 30 * 3 * hour + 2 * hour;
    const standIn = await startStandIn({ chats: first });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    try {
      const one = await runCli(['run', '--now', iso(night1)], cliEnv(standIn, receiver, stateDir));
      assert.equal(one.code, 0, one.stdout + one.stderr);
      assert.deepEqual(deliveredIds(accepted(receiver)), first.map((c) => c.id), 'night 1 sends ids 1–3000');
      const keysBefore = new Set(accepted(receiver).map((d) => d.idempotencyKey));
      const idsBefore = new Set(accepted(receiver).map((d) => d.body.id as string));
      receiver.clear();

      // The restore: ids 1–2800 as they were; then 300 new chats (2801–3100), newer, other text.
      const written = Array.from({ length: 300 }, (_, k) => makeChat({ id: 2801 + k, thread_id: (k % 7) + 1, createdAt: iso(night1 + hour + k * 3 * minute), prompt: `after the restore ${k}` }));
      standIn.chats.splice(0, standIn.chats.length, ...first.slice(0, 2800), ...written);
      const two = await runCli(['run', '--now', iso(night1 + 24 * hour)], cliEnv(standIn, receiver, stateDir));
      assert.equal(two.code, 0, two.stdout + two.stderr);

      const delivered = accepted(receiver);
      assert.deepEqual(deliveredIds(delivered), written.map((c) => c.id), 'all 300 new chats are delivered exactly once, and no kept chat again');
      assert.ok(delivered.every((d) => !keysBefore.has(d.idempotencyKey) && !idsBefore.has(d.body.id)), 'no conversation id or key of night 1 comes back');
      assert.equal(warnings(two, 'MC_SOURCE_REWOUND').length, 1, 'one MC_SOURCE_REWOUND warning');
      const chats = summaryOf(two)?.['chats'];
      assert.equal(chats?.reusedIds, 200, 'ids 2801–3000 were reused');
      assert.equal(chats?.changedAfterSend, 0);
      const status = await runCli(['status', '--json'], { STATE_DIR: stateDir });
      assert.equal(JSON.parse(status.stdout).lastRun.chats.reusedIds, 200);
      assert.equal(JSON.parse(status.stdout).source, standIn.url);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('another server behind BASE_URL (ids from 1 again): each of its included chats is sent once, under conversation ids the first server never had', async () => {
    const serverA = Array.from({ length: 500 }, (_, i) => makeChat({ id: i + 1, thread_id: (i % 5) + 1, createdAt: iso(base + i * 5 * minute), prompt: `server A ${i}` }));
    const night1 = base + 500 * 5 * minute + 2 * hour;
    const serverB = Array.from({ length: 400 }, (_, i) => makeChat({ id: i + 1, workspaceId: 2, user_id: (i % 3) + 1, createdAt: iso(night1 + 30 * minute + i * 2 * minute), prompt: `server B ${i}`, include: i % 40 !== 39 }));
    const a = await startStandIn({ chats: serverA });
    const b = await startStandIn({ chats: serverB });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    try {
      const one = await runCli(['run', '--now', iso(night1)], cliEnv(a, receiver, stateDir));
      assert.equal(one.code, 0, one.stdout + one.stderr);
      assert.deepEqual(deliveredIds(accepted(receiver)), serverA.map((c) => c.id));
      const idsBefore = new Set(accepted(receiver).map((d) => d.body.id as string));
      receiver.clear();

      const two = await runCli(['run', '--now', iso(night1 + 24 * hour)], cliEnv(b, receiver, stateDir));
      assert.equal(two.code, 0, two.stdout + two.stderr);
      const delivered = accepted(receiver);
      assert.deepEqual(deliveredIds(delivered), serverB.filter((c) => c.include).map((c) => c.id), "every one of B's included chats, once");
      assert.ok(delivered.every((d) => !idsBefore.has(d.body.id)), 'no conversation id of server A');
      assert.ok(delivered.every((d) => d.body.workspace.id === 2), "only B's chats");
      assert.equal(warnings(two, 'MC_SOURCE_CHANGED').length, 1, 'MC_SOURCE_CHANGED names the other BASE_URL');
      assert.equal(warnings(two, 'MC_SOURCE_REWOUND').length, 1);
      const behind = two.stdout.split('\n').filter((line) => line.includes('is below the cursor'));
      assert.equal(behind.length, 1);
      assert.match(behind[0] as string, /its newest chats were deleted, or the source went back/);
      assert.doesNotMatch(two.stdout, /Only page 0 is read/);
      assert.equal(summaryOf(two)?.['chats']?.changedAfterSend, 0);
      const status = await runCli(['status'], { STATE_DIR: stateDir });
      assert.match(status.stdout, new RegExp(`source +${b.url.replace(/[.]/g, '\\.')}`));
    } finally {
      await a.close();
      await b.close();
      await receiver.close();
    }
  });
});
