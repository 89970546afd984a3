import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat, type ChatRecord } from './fixtures/raw-chat.ts';
import { startWebhookReceiver, type Delivery, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, cliEnv, secret } from './helpers/cli-env.js';
import { assertRetractionBody } from './helpers/retraction-schema.ts';
import { runCli, summaryOf, type CliResult } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

// DESIGN §3b: what people take back after a conversation was sent is told to RETRACT_WEBHOOK_URL, once, signed.

const minute = 60_000;
const hour = 60 * minute;
const night1 = Date.parse('2026-11-10T09:00:00Z'); // 03:00 in Chicago
const night2 = night1 + 24 * hour;
const night3 = night2 + 24 * hour;
const iso = (ms: number) => new Date(ms).toISOString();
const accepted = (receiver: Receiver): Delivery[] => receiver.deliveries.filter((d) => d.status >= 200 && d.status < 300);
const retractions = (deliveries: readonly Delivery[]) => deliveries.filter((d) => d.body?.type === 'retraction');
const conversations = (deliveries: readonly Delivery[]) => deliveries.filter((d) => d.body?.type !== 'retraction');

// Ninety-nine chats of thread 1 three days before night 1 (paging has an end), and conversation 401–405 of thread 4,
// closed and sent on night 1.
const chats = (): ChatRecord[] => [
  ...Array.from({ length: 99 }, (_, i) => makeChat({ id: i + 1, thread_id: 1, createdAt: iso(night1 - 72 * hour + i * minute) })),
  ...[401, 402, 403, 404, 405].map((id, i) => makeChat({ id, thread_id: 4, user_id: 7, createdAt: iso(night1 - (90 - i * 5) * minute) })),
];

// Runs a night of the built CLI, signed; `retract` sets RETRACT_WEBHOOK_URL to the same receiver.
async function night(env: Record<string, string>, nowMs: number): Promise<CliResult> {
  const result = await runCli(['run', '--now', iso(nowMs)], env);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return result;
}

// Night 1 sends 401–405; before night 2, 402 is edited, 403 hidden and 404 deleted; nights 2 and 3 follow.
async function threeNights(retract: boolean) {
  const standIn = await startStandIn({ chats: chats() });
  const receiver = await startWebhookReceiver({ secret });
  const stateDir = await tempDir();
  const env = cliEnv(standIn, receiver, stateDir, { WEBHOOK_SECRET: secret, ...(retract ? { RETRACT_WEBHOOK_URL: receiver.url } : {}) });
  try {
    await night(env, night1);
    const first = accepted(receiver).find((d) => chatIdsOf(d.body).includes(401));
    assert.ok(first !== undefined, 'night 1 sends the conversation of 401–405');
    assert.deepEqual(chatIdsOf(first.body), [401, 402, 403, 404, 405]);
    const sentReply = first.body.messages.find((m: { chatId: number; role: string }) => m.chatId === 402 && m.role === 'assistant').content as string;
    receiver.clear();
    standIn.update(402, { prompt: 'question 402, said better' });
    standIn.update(403, { include: false });
    standIn.remove(404);
    const second = await night(env, night2);
    const onNight2 = [...receiver.deliveries];
    receiver.clear();
    const third = await night(env, night3);
    const onNight3 = [...receiver.deliveries];
    const status = await runCli(['status', '--json'], { STATE_DIR: stateDir });
    return { conversation: first.body.id as string, sentReply, second, third, onNight2, onNight3, status: JSON.parse(status.stdout) };
  } finally {
    await standIn.close();
    await receiver.close();
  }
}

describe('retractions (DESIGN §3b)', () => {
  it('a sent chat hidden, one deleted and one edited before night 2 give one signed retraction naming all three, and nothing more', async () => {
    const { conversation, sentReply, second, third, onNight2, onNight3, status } = await threeNights(true);
    assert.equal(conversations(onNight2).length, 0, 'no conversation is resent');
    const [retraction, ...more] = retractions(onNight2);
    assert.ok(retraction !== undefined && more.length === 0, 'one retraction on night 2');
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
    assert.deepEqual([summary?.['chats'].changedAfterSend, summary?.['chats'].hiddenAfterSend, summary?.['chats'].deletedAfterSend], [1, 1, 1]);
    assert.deepEqual(summary?.['retractions'], { frozen: 1, sent: 1, resent: 0, dead: 0, parked: 0, waiting: 0, webhookDown: false, lastError: null });
    assert.match(second.stdout, /retractions: 1 sent, 0 dead, 0 parked, 0 waiting/);
    assert.doesNotMatch(second.stdout + second.stderr, /said better|answer 402/, 'no text in a log line');

    assert.equal(onNight3.length, 0, 'night 3 sends nothing more');
    const again = summaryOf(third);
    assert.deepEqual([again?.['chats'].changedAfterSend, again?.['chats'].hiddenAfterSend, again?.['chats'].deletedAfterSend], [0, 0, 0]);
    assert.deepEqual(again?.['retractions'], { frozen: 0, sent: 0, resent: 0, dead: 0, parked: 0, waiting: 0, webhookDown: false, lastError: null });
    assert.deepEqual(status.counts.retractions, { sent: 1, waiting: 0, dead: 0, parked: 0 }, 'status counts the retraction sent');
  });

  it('with RETRACT_WEBHOOK_URL unset the same nights send no retraction and count the three changes once', async () => {
    const { second, third, onNight2, onNight3 } = await threeNights(false);
    assert.equal(onNight2.length, 0, 'nothing is sent on night 2');
    assert.equal(onNight3.length, 0, 'nor on night 3');
    const summary = summaryOf(second);
    assert.deepEqual([summary?.['chats'].changedAfterSend, summary?.['chats'].hiddenAfterSend, summary?.['chats'].deletedAfterSend], [1, 1, 1]);
    assert.equal(summary?.['retractions'], null);
    const again = summaryOf(third);
    assert.deepEqual([again?.['chats'].changedAfterSend, again?.['chats'].hiddenAfterSend, again?.['chats'].deletedAfterSend], [0, 0, 0]);
  });
});
