import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Delivery } from './fixtures/webhook-receiver.ts';
import { scanForText } from './helpers/raw-scan.ts';
import { changedAfterNightOne, hour, iso, night1, nightAt, retractionsIn } from './helpers/retraction-nights.ts';
import { runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

// DESIGN §3b: a retraction the webhook fails is a dead letter like a conversation (listed, retried); the edited text
// it carries waits in STATE_DIR only until it is sent, sealed when a state key is set.

const night2 = night1 + 24 * hour;
const marker = /SENTINEL\d+X/g;

// Night 1 sent; 402 edited to carry a marker; the retraction webhook answers 503 while `failing.now`.
async function failingNightTwo(extra: Record<string, string>) {
  const failing = { now: true };
  const respond = (delivery: Delivery) => ({ status: failing.now && delivery.body?.type === 'retraction' ? 503 : 200 });
  const setUp = await changedAfterNightOne(true, { respond });
  setUp.standIn.update(402, { prompt: 'question 402 SENTINEL402X' });
  const env = { ...setUp.env, RETRIES: '0', ...extra };
  const second = await runCli(['run', '--now', iso(night2)], env);
  return { ...setUp, env, failing, second };
}

describe('retractions as dead letters, and their text at rest', () => {
  it('a failed retraction is a dead letter: exit 6, listed beside conversations, sent by dead-letters retry; its text then leaves STATE_DIR', async () => {
    const { env, failing, second, receiver, stateDir, close } = await failingNightTwo({});
    try {
      assert.equal(second.code, 6, second.stdout + second.stderr);
      assert.match(second.stdout, /MC_DEAD_LETTERS.*1 dead and 0 parked retractions/);
      assert.ok((await scanForText(stateDir, marker)).findings.length > 0, 'without a state key the edited text waits in plain text until sent');
      const listed = JSON.parse((await runCli(['dead-letters', '--json'], { STATE_DIR: stateDir })).stdout);
      assert.equal(listed.count, 0, 'no conversation is a dead letter');
      assert.equal(listed.retractions.length, 1);
      const [letter] = listed.retractions;
      assert.deepEqual([letter.status, letter.attempts, letter.lastError, letter.chats], ['dead', 1, 'HTTP 503', { deleted: 1, hidden: 1, edited: 1 }]);
      assert.match(letter.retraction, /^ret_/);
      const table = await runCli(['dead-letters'], { STATE_DIR: stateDir });
      assert.match(table.stdout, /^0 dead letters in .*; 1 dead or parked retraction$/m);
      assert.match(table.stdout, new RegExp(`^${letter.retraction} → ${letter.conversation} +Workspace 1 \\(1\\) +thread 4 +dead retraction +1 `, 'm'));
      const status = JSON.parse((await runCli(['status', '--json'], { STATE_DIR: stateDir })).stdout);
      assert.deepEqual(status.counts.retractions, { sent: 0, waiting: 0, dead: 1, parked: 0 });

      failing.now = false;
      const retried = await runCli(['dead-letters', 'retry'], env);
      assert.equal(retried.code, 0, retried.stdout + retried.stderr);
      assert.match(retried.stdout, /retractions: 1 sent, 0 dead, 0 parked/);
      const posts = retractionsIn(receiver.deliveries);
      assert.deepEqual(posts.map((d) => [d.idempotencyKey, d.status]), [[letter.retraction, 503], [letter.retraction, 200]], 'retried with the same key');
      receiver.clear();
      await nightAt(env, night2 + hour);
      assert.equal(receiver.deliveries.length, 0, 'nothing more is sent');
      assert.deepEqual((await scanForText(stateDir, marker)).findings, [], 'sent: the edited text is purged');
    } finally {
      await close();
    }
  });

  it('with a state key the edited text waiting for its retraction is sealed on disk', async () => {
    const keyPath = join(await tempDir(), 'state-key');
    await writeFile(keyPath, 'a state key of at least thirty-two characters\n', { mode: 0o600 });
    const { env, failing, second, receiver, stateDir, close } = await failingNightTwo({ STATE_KEY_FILE: keyPath });
    try {
      assert.equal(second.code, 6, second.stdout + second.stderr);
      assert.deepEqual((await scanForText(stateDir, marker)).findings, [], 'sealed while it waits');
      failing.now = false;
      await nightAt(env, night2 + hour);
      const [sent] = retractionsIn(receiver.deliveries).filter((d) => d.status === 200);
      assert.equal(sent?.body.chats[0].messages[0].content, 'question 402 SENTINEL402X', 'the next night sends the dead retraction, text intact');
      assert.deepEqual((await scanForText(stateDir, marker)).findings, [], 'and none is left');
    } finally {
      await close();
    }
  });
});
