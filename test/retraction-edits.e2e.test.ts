import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Delivery } from './fixtures/webhook-receiver.ts';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { cliEnv, secret } from './helpers/cli-env.js';
import { changedAfterNightOne, hour, iso, night1, nightAt, retractionChats, retractionsIn } from './helpers/retraction-nights.ts';
import { tempDir } from './helpers/temp-dir.js';
import { runCli, summaryOf } from './helpers/run-cli.js';

// DESIGN §3b "an edited chat that is edited again gives a new event; one that changes back to what was sent gives
// none": a re-read compares a sent chat with what the receiver was last told, or will be told — the change found and
// not yet frozen, else the retraction frozen and not yet sent, else what was sent (or told by the last retraction).

const night = (n: number) => night1 + n * 24 * hour;
const told = (deliveries: readonly Delivery[]) => retractionsIn(deliveries).filter((d) => d.status === 200).map((d) => d.body.chats.map((chat: { chatId: number; change: string; messages?: { content: string }[] }) => [chat.chatId, chat.change, chat.messages?.[0]?.content ?? null]));

describe('edits after a retraction (DESIGN §3b)', () => {
  it('a second edit gives a second retraction with a new id; a hidden chat edited while hidden gives none', async () => {
    const setUp = await changedAfterNightOne(true);
    try {
      await nightAt(setUp.env, night(1));
      const [first] = retractionsIn(setUp.receiver.deliveries);
      setUp.receiver.clear();
      setUp.standIn.update(402, { prompt: 'question 402, said once more' });
      setUp.standIn.update(403, { prompt: 'question 403, edited while hidden' });
      await nightAt(setUp.env, night(2));
      assert.deepEqual(told(setUp.receiver.deliveries), [[[402, 'edited', 'question 402, said once more']]], 'the second edit only');
      const [second] = retractionsIn(setUp.receiver.deliveries);
      assert.notEqual(second?.body.id, first?.body.id, 'a new event, a new id');
    } finally {
      await setUp.close();
    }
  });

  it('an edit back to the sent text before its retraction is frozen gives none', async () => {
    const setUp = await changedAfterNightOne(true);
    try {
      setUp.standIn.update(403, { include: true });
      const reconciled = await runCli(['reconcile', '--json'], setUp.env);
      assert.deepEqual(JSON.parse(reconciled.stdout).changedAfterSend, { count: 1, ids: [402] }, 'reconcile keeps the edit of 402');
      setUp.standIn.update(402, { prompt: 'question 402' });
      await nightAt(setUp.env, night(1));
      assert.deepEqual(told(setUp.receiver.deliveries), [[[404, 'deleted', null]]], 'the edit back is dropped; the deletion is still told');
    } finally {
      await setUp.close();
    }
  });

  it('an edit back after its retraction is frozen waits for it, then is told as an edit', async () => {
    const failing = { now: true };
    const setUp = await changedAfterNightOne(true, { respond: (d) => ({ status: failing.now && d.body?.type === 'retraction' ? 503 : 200 }) });
    try {
      const env = { ...setUp.env, RETRIES: '0' };
      const second = await runCli(['run', '--now', iso(night(1))], env);
      assert.equal(second.code, 6, 'the retraction is a dead letter');
      setUp.standIn.update(402, { prompt: 'question 402' });
      failing.now = false;
      setUp.receiver.clear();
      await nightAt(env, night(2));
      assert.deepEqual(told(setUp.receiver.deliveries), [[[402, 'edited', 'question 402, said better'], [403, 'hidden', null], [404, 'deleted', null]]], 'the frozen retraction goes as frozen');
      setUp.receiver.clear();
      await nightAt(env, night(3));
      assert.deepEqual(told(setUp.receiver.deliveries), [[[402, 'edited', 'question 402']]], 'then the edit back, as an edit');
      setUp.receiver.clear();
      await nightAt(env, night(4));
      assert.deepEqual(setUp.receiver.deliveries, [], 'and nothing more');
    } finally {
      await setUp.close();
    }
  });

  it('a chat edited while its conversation is a dead letter: the conversation goes as frozen, the retraction only after it', async () => {
    const failing = { now: true };
    const standIn = await startStandIn({ chats: retractionChats() });
    const receiver = await startWebhookReceiver({ secret, respond: (d) => ({ status: failing.now && d.body?.type !== 'retraction' ? 503 : 200 }) });
    const env = cliEnv(standIn, receiver, await tempDir(), { WEBHOOK_SECRET: secret, RETRACT_WEBHOOK_URL: receiver.url, RETRIES: '0' });
    try {
      const first = await runCli(['run', '--now', iso(night(0))], env);
      assert.equal(first.code, 6, 'the conversation of 401–405 is a dead letter');
      standIn.update(402, { prompt: 'question 402, said better' });
      failing.now = false;
      receiver.clear();
      await nightAt(env, night(1));
      const about402 = receiver.deliveries.filter((d) => d.body?.type === 'retraction' || d.body.messages.some((m: { chatId: number }) => m.chatId === 402));
      const sent = about402.map((d) => [d.body.type ?? 'conversation', d.body.messages?.find((m: { chatId: number }) => m.chatId === 402)?.content ?? null]);
      assert.deepEqual(sent, [['conversation', 'question 402']], 'sent as frozen, nothing retracted before it was sent');
      receiver.clear();
      await nightAt(env, night(2));
      assert.deepEqual(told(receiver.deliveries), [[[402, 'edited', 'question 402, said better']]], 'then the edit is told');
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });

  it('a copy whose identity differs (an id reused after a restored backup) is a new chat, never a retraction', async () => {
    const standIn = await startStandIn({ chats: retractionChats() });
    const receiver = await startWebhookReceiver({ secret });
    const env = cliEnv(standIn, receiver, await tempDir(), { WEBHOOK_SECRET: secret, RETRACT_WEBHOOK_URL: receiver.url });
    try {
      await nightAt(env, night(0));
      receiver.clear();
      standIn.update(402, { createdAt: iso(night(0) + 2 * hour), lastUpdatedAt: iso(night(0) + 2 * hour), prompt: 'another chat under id 402' });
      const second = await nightAt(env, night(1));
      assert.deepEqual(retractionsIn(receiver.deliveries), [], 'no retraction');
      const carrying = receiver.deliveries.filter((d) => d.body.messages?.some((m: { chatId: number; content: string }) => m.chatId === 402 && m.content === 'another chat under id 402'));
      assert.equal(carrying.length, 1, 'the new chat is sent in a conversation of its own');
      assert.equal(summaryOf(second)?.['chats'].reusedIds, 1);
      assert.deepEqual([summaryOf(second)?.['chats'].changedAfterSend, summaryOf(second)?.['retractions'].frozen], [0, 0]);
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });
});
