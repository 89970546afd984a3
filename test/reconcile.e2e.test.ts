import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { numericId } from './fixtures/raw-chat.ts';
import { startWebhookReceiver, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, cliEnv } from './helpers/cli-env.js';
import { runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

// DESIGN §4 "Reconcile": chats deleted above the page being read shift later pages up, and the row that crosses the
// page boundary is never read that night; `reconcile` re-reads, stages what slipped by, and the next night sends it.

const hour = 3_600_000;
const end = Date.parse('2026-11-20T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const deliveredIds = (receiver: Receiver): number[] => receiver.deliveries.filter((d) => d.status >= 200 && d.status < 300).flatMap((d) => chatIdsOf(d.body));

describe('reconcile (DESIGN §4)', () => {
  it('finds the chats that slipped by while rows were deleted above the page being read (exit 6), the next night sends them, a second reconcile exits 0', async () => {
    // Visible chats only, with every chat's id equal to its position from the bottom: page k serves ids 200−20k … 181−20k.
    const chats = generateChats({ count: 200, seed: 51, start: new Date(end - 4 * 24 * hour), end: new Date(end), workspaces: 2, threadsPerWorkspace: 2, realNowMs: end }).map((chat) => ({ ...chat, include: true }));
    const allIds = chats.map((chat) => numericId(chat)!).sort((a, b) => a - b);
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    const env = cliEnv(standIn, receiver, stateDir);
    // While page 3 is served, an admin deletes five chats of page 0, already read: page 3 shifts up by five rows.
    const deleted = [190, 189, 188, 187, 186];
    standIn.duringPage(3, () => standIn.remove(...deleted));
    try {
      const night1 = await runCli(['run', '--now', iso(end + 2 * hour)], env);
      assert.equal(night1.code, 0, night1.stdout + night1.stderr);
      const slipped = [140, 139, 138, 137, 136]; // the first five rows of page 3 before the shift
      assert.deepEqual(slipped.filter((id) => deliveredIds(receiver).includes(id)), [], 'night 1 never saw them');

      const first = await runCli(['reconcile', '--json'], env);
      assert.equal(first.code, 6, first.stdout + first.stderr);
      const found = JSON.parse(first.stdout);
      assert.deepEqual(found.missed, { count: 5, ids: [...slipped].sort((a, b) => a - b) });
      assert.deepEqual(found.deletedAfterSend, { count: 5, ids: [...deleted].sort((a, b) => a - b) }, 'the deleted chats were sent on night 1: counted, by id');
      assert.equal(found.changedAfterSend.count + found.hiddenAfterSend.count, 0);
      assert.match(first.stderr, /MC_MISSED_CHATS/);

      const night2 = await runCli(['run', '--now', iso(end + 3 * hour)], env);
      assert.equal(night2.code, 0, night2.stdout + night2.stderr);
      const delivered = deliveredIds(receiver);
      assert.equal(new Set(delivered).size, delivered.length, 'no chat delivered twice');
      assert.deepEqual([...delivered].sort((a, b) => a - b), allIds, 'every chat delivered once (the deleted ones on night 1, before they were deleted; the slipped ones on night 2)');

      const second = await runCli(['reconcile'], env);
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.match(second.stdout, /^reconciled all history at or below cursor 200: 10 pages, 195 chats read/m);
      assert.match(second.stdout, /^missed +0 +staged now/m);
      assert.match(second.stdout, /^deleted after sending +0 /m, 'each deletion counted once');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('--since reads back only to its date; without a finished night there is nothing to reconcile', async () => {
    const chats = generateChats({ count: 200, seed: 52, start: new Date(end - 10 * 24 * hour), end: new Date(end), realNowMs: end });
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    const env = cliEnv(standIn, receiver, stateDir);
    try {
      const before = await runCli(['reconcile'], env);
      assert.equal(before.code, 0);
      assert.match(before.stdout, /nothing to reconcile in .*: no night has finished paging yet/);
      assert.equal((await runCli(['run', '--now', iso(end + 2 * hour)], env)).code, 0);
      const recent = await runCli(['reconcile', '--since', iso(end - 2 * 24 * hour), '--json'], env);
      assert.equal(recent.code, 0, recent.stderr);
      const found = JSON.parse(recent.stdout);
      assert.equal(found.since, iso(end - 2 * 24 * hour));
      assert.ok(found.pages < 10, `stops at a page wholly older than --since (${found.pages} pages)`);
      assert.equal((await runCli(['reconcile', '--since', 'last week'], env)).code, 2);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});
