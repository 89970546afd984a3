import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat } from './fixtures/raw-chat.ts';
import { startWebhookReceiver, type Delivery } from './fixtures/webhook-receiver.ts';
import { cliEnv, secret } from './helpers/cli-env.js';
import { assertRetractionBody } from './helpers/retraction-schema.ts';
import { changedAfterNightOne, hour, iso, minute, night1, nightAt, retractionsIn } from './helpers/retraction-nights.ts';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

// DESIGN §3b: what people take back after a conversation was sent is told to RETRACT_WEBHOOK_URL, once, signed.

const night2 = night1 + 24 * hour;
const night3 = night2 + 24 * hour;
const afterSend = (summary: Record<string, any> | undefined) => [summary?.['chats'].changedAfterSend, summary?.['chats'].hiddenAfterSend, summary?.['chats'].deletedAfterSend];
const noRetractions = { frozen: 0, sent: 0, resent: 0, dead: 0, parked: 0, waiting: 0, webhookDown: false, lastError: null };

// Nights 2 and 3 after the changes, and status after them.
async function nightsTwoAndThree(retract: boolean) {
  const setUp = await changedAfterNightOne(retract);
  try {
    const second = await nightAt(setUp.env, night2);
    const onNight2: Delivery[] = [...setUp.receiver.deliveries];
    setUp.receiver.clear();
    const third = await nightAt(setUp.env, night3);
    const onNight3: Delivery[] = [...setUp.receiver.deliveries];
    const status = await runCli(['status', '--json'], { STATE_DIR: setUp.stateDir });
    const table = (await runCli(['status'], { STATE_DIR: setUp.stateDir })).stdout;
    return { ...setUp, second, third, onNight2, onNight3, status: JSON.parse(status.stdout), table };
  } finally {
    await setUp.close();
  }
}

describe('retractions (DESIGN §3b)', () => {
  it('a sent chat hidden, one deleted and one edited before night 2 give one signed retraction naming all three, and nothing more', async () => {
    const { conversation, sentReply, second, third, onNight2, onNight3, status, table } = await nightsTwoAndThree(true);
    const [retraction, ...more] = onNight2;
    assert.ok(retraction !== undefined && more.length === 0, 'night 2 sends one thing: the retraction (no conversation is resent)');
    assert.equal(retraction.body.type, 'retraction');
    assert.equal(retraction.status, 200);
    assert.equal(retraction.signatureValid, true, 'signed with WEBHOOK_SECRET (Standard Webhooks)');
    const body = retraction.body;
    assert.equal(retraction.idempotencyKey, body.id);
    assert.equal(retraction.headers['webhook-id'], body.id);
    assert.match(body.id, /^ret_[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(
      { ...body, id: '', seenAt: '' },
      {
        type: 'retraction',
        id: '',
        conversation,
        workspace: { id: 1, name: 'Workspace 1', slug: 'workspace-1' },
        threadId: 4,
        user: { id: 7, username: 'user-7' },
        apiSessionId: null,
        chats: [
          { chatId: 402, change: 'edited', messages: [{ role: 'user', content: 'question 402, said better' }, { role: 'assistant', content: sentReply }] },
          { chatId: 403, change: 'hidden' },
          { chatId: 404, change: 'deleted' },
        ],
        seenAt: '',
      },
    );
    assert.ok(!Number.isNaN(Date.parse(body.seenAt)));
    assertRetractionBody(body);
    const summary = summaryOf(second);
    assert.deepEqual(afterSend(summary), [1, 1, 1]);
    assert.deepEqual(summary?.['retractions'], { ...noRetractions, frozen: 1, sent: 1 });
    assert.match(second.stdout, /retractions: 1 sent, 0 dead, 0 parked, 0 waiting/);
    assert.doesNotMatch(second.stdout + second.stderr, /said better|answer 402/, 'no text in a log line');

    assert.equal(onNight3.length, 0, 'night 3 sends nothing more');
    assert.deepEqual(afterSend(summaryOf(third)), [0, 0, 0]);
    assert.deepEqual(summaryOf(third)?.['retractions'], noRetractions);
    assert.deepEqual(status.counts.retractions, { sent: 1, waiting: 0, dead: 0, parked: 0 }, 'status counts the retraction sent');
    assert.match(table, /^retractions +1 sent · 0 waiting · 0 dead · 0 parked$/m);
  });

  it('with RETRACT_WEBHOOK_URL unset the same nights send no retraction and count the three changes once', async () => {
    const { second, third, onNight2, onNight3, status } = await nightsTwoAndThree(false);
    assert.equal(onNight2.length, 0, 'nothing is sent on night 2');
    assert.equal(onNight3.length, 0, 'nor on night 3');
    assert.deepEqual(afterSend(summaryOf(second)), [1, 1, 1]);
    assert.equal(summaryOf(second)?.['retractions'], null);
    assert.deepEqual(afterSend(summaryOf(third)), [0, 0, 0]);
    assert.deepEqual(status.counts.retractions, { sent: 0, waiting: 0, dead: 0, parked: 0 });
  });

  it('reconcile finds an edit older than REREAD_WINDOW and keeps it; the next night sends its retraction once', async () => {
    // Thread 1 (ids 1–60) three days before night 1, thread 8 (ids 102–146) just before it: both sent on night 1.
    const chats = [
      ...Array.from({ length: 60 }, (_, i) => makeChat({ id: i + 1, thread_id: 1, createdAt: iso(night1 - 72 * hour + i * minute) })),
      ...Array.from({ length: 45 }, (_, i) => makeChat({ id: 102 + i, thread_id: 8, createdAt: iso(night1 - 99 * minute + i * 30_000) })),
    ];
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver({ secret });
    const env = cliEnv(standIn, receiver, await tempDir(), { WEBHOOK_SECRET: secret, RETRACT_WEBHOOK_URL: receiver.url });
    try {
      await nightAt(env, night1);
      receiver.clear();
      standIn.update(10, { prompt: 'question 10, corrected' });
      const second = await nightAt(env, night2);
      assert.equal(receiver.deliveries.length, 0, 'night 2 re-reads 24 h: it never sees the edit three days back');
      assert.deepEqual(afterSend(summaryOf(second)), [0, 0, 0]);

      const reconciled = await runCli(['reconcile', '--json'], env);
      assert.equal(reconciled.code, 0, reconciled.stdout + reconciled.stderr);
      const found = JSON.parse(reconciled.stdout);
      assert.deepEqual(found.changedAfterSend, { count: 1, ids: [10] });
      assert.deepEqual(found.retractions, { sent: 0, waiting: 1, dead: 0, parked: 0 }, 'kept for the next night');
      assert.equal(receiver.deliveries.length, 0, 'reconcile posts nothing');

      const third = await nightAt(env, night3);
      assert.deepEqual(receiver.deliveries.map((d) => d.body.type), ['retraction'], 'the next night sends one retraction, and nothing else');
      const [retraction] = retractionsIn(receiver.deliveries);
      assert.ok(retraction !== undefined);
      assert.deepEqual(retraction.body.chats, [{ chatId: 10, change: 'edited', messages: [{ role: 'user', content: 'question 10, corrected' }, { role: 'assistant', content: 'answer 10' }] }]);
      assertRetractionBody(retraction.body);
      assert.deepEqual(summaryOf(third)?.['retractions'], { ...noRetractions, frozen: 1, sent: 1 });
      receiver.clear();
      await nightAt(env, night3 + 24 * hour);
      const again = await runCli(['reconcile', '--json'], env);
      assert.equal(receiver.deliveries.length, 0, 'sent once');
      assert.deepEqual(JSON.parse(again.stdout).changedAfterSend, { count: 0, ids: [] });
      assert.deepEqual(JSON.parse(again.stdout).retractions, { sent: 1, waiting: 0, dead: 0, parked: 0 });
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});
