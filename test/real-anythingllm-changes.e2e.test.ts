// Rows that change after a night read them (DESIGN §1), made by the real AnythingLLM server's own model calls
// (../shared/anythingllm: WorkspaceChats.upsert for a finished agent chat, markThreadHistoryInvalidV2 for a reset,
// delete, _update for an edit), against two nights of the built CLI; and the same changes to chats already sent,
// told as retractions to RETRACT_WEBHOOK_URL (DESIGN §3b). Without a buildable server this file fails;
// it never skips.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRealAnythingLlm, type RealAnythingLlm } from './fixtures/real-anythingllm.ts';
import { startWebhookReceiver, type Receiver } from './fixtures/webhook-receiver.ts';
import { secret } from './helpers/cli-env.js';
import { assertRetractionBody } from './helpers/retraction-schema.ts';
import { runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const minute = 60_000;
const hour = 60 * minute;
const setupTimeoutMs = 25 * 60_000;

describe('rows that change between two nights, on the real AnythingLLM server', { timeout: setupTimeoutMs + 10 * minute }, () => {
  let server: RealAnythingLlm;
  let receiver: Receiver;

  before(async () => {
    server = await startRealAnythingLlm({ chats: 300, days: 2, users: 3, workspaces: 2, threads: 1, seed: 11 });
    receiver = await startWebhookReceiver();
  }, { timeout: setupTimeoutMs });
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('a finished agent chat is sent once; a reset and a deleted chat of an open conversation never; an edited one as edited', async () => {
    const env = { BASE_URL: server.url, API_KEY: server.apiKey, WEBHOOK_URL: receiver.url, STATE_DIR: await tempDir(), RETRY_MIN_DELAY: '10' };
    // Chats written in the last quarter of an hour, and an agent chat still running: open at night one.
    const t1 = Date.now();
    const added = await server.add(12, { at: new Date(t1 - 14 * minute), stepSec: 60 });
    // seed.js mixes kinds (some hidden): take four that AnythingLLM serves as included, with a reply.
    const rows = await server.readAll();
    const visible = rows.filter((row) => (row['id'] as number) >= (added.firstId as number) && (row['id'] as number) <= (added.lastId as number) && row['include'] === true && /"text":"[^"]/.test(String(row['response'])));
    assert.ok(visible.length >= 4, `four visible chats among the twelve added (${visible.length})`);
    const [reset, deleted, edited, kept] = visible.map((row) => row['id'] as number).sort((a, b) => a - b) as [number, number, number, number];
    const agent = await server.agentStart({ prompt: 'agent: book the usual table' });
    const night1 = await runCli(['run', '--now', new Date(t1 + minute).toISOString()], env);
    assert.equal(night1.code, 0, night1.stdout + night1.stderr);
    const sentOnNight1 = new Set(receiver.deliveries.flatMap((d) => d.body.messages.map((m: { chatId: number }) => m.chatId)));
    for (const id of [reset, deleted, edited, kept, agent.id]) assert.ok(!sentOnNight1.has(id), `chat ${id} is open (or hidden) on night one`);

    // Between the nights, through AnythingLLM's own models.
    await server.agentFinish(agent.id, 'Booked: Friday 19:00, the usual table.');
    await server.hide(reset);
    await server.delete(deleted);
    await server.edit(edited, 'user', 'edited: please forget my old address');

    const night2 = await runCli(['run', '--now', new Date(Date.now() + 3 * hour).toISOString()], env);
    assert.equal(night2.code, 0, night2.stdout + night2.stderr);
    const messages = receiver.deliveries.filter((d) => d.status === 200).flatMap((d) => d.body.messages as { chatId: number; role: string; content: string }[]);
    const of = (id: number) => messages.filter((m) => m.chatId === id);
    assert.deepEqual(of(reset), [], 'the reset chat is never sent');
    assert.deepEqual(of(deleted), [], 'the deleted chat is never sent');
    assert.equal(of(edited).find((m) => m.role === 'user')?.content, 'edited: please forget my old address');
    assert.ok(of(kept).length > 0, 'the untouched chat is sent');
    assert.deepEqual(of(agent.id).map((m) => [m.role, m.content]), [['user', 'agent: book the usual table'], ['assistant', 'Booked: Friday 19:00, the usual table.']], 'the finished agent chat is sent once, with its reply');
    const chatIds = receiver.deliveries.filter((d) => d.status === 200).flatMap((d) => [...new Set(d.body.messages.map((m: { chatId: number }) => m.chatId))]);
    assert.equal(new Set(chatIds).size, chatIds.length, 'no chat is sent twice');
  });

  it('chats sent on night one, then hidden through markThreadHistoryInvalidV2, deleted and edited through _update, are retracted on night two', async () => {
    const retractions = await startWebhookReceiver({ secret });
    try {
      const env = { BASE_URL: server.url, API_KEY: server.apiKey, WEBHOOK_URL: receiver.url, RETRACT_WEBHOOK_URL: retractions.url, WEBHOOK_SECRET: secret, STATE_DIR: await tempDir(), RETRY_MIN_DELAY: '10' };
      // Chats of three hours ago: closed and sent on night one.
      const t1 = Date.now();
      const added = await server.add(12, { at: new Date(t1 - 3 * hour), stepSec: 60 });
      const rows = await server.readAll();
      const visible = rows.filter((row) => (row['id'] as number) >= (added.firstId as number) && (row['id'] as number) <= (added.lastId as number) && row['include'] === true && /"text":"[^"]/.test(String(row['response'])));
      assert.ok(visible.length >= 5, `five visible chats among the twelve added (${visible.length})`);
      // The deleted one has read neighbours on both sides (the proof of deletion, DESIGN §1).
      const [, hidden, deleted, edited] = visible.map((row) => row['id'] as number).sort((a, b) => a - b) as [number, number, number, number];
      const night1 = await runCli(['run', '--now', new Date(t1 + minute).toISOString()], env);
      assert.equal(night1.code, 0, night1.stdout + night1.stderr);
      const sentIn = new Map(receiver.deliveries.filter((d) => d.status === 200).flatMap((d) => d.body.messages.map((m: { chatId: number }) => [m.chatId, d.body.id as string] as const)));
      for (const id of [hidden, deleted, edited]) assert.ok(sentIn.has(id), `chat ${id} is sent on night one`);
      assert.equal(retractions.deliveries.length, 0, 'nothing to retract on night one');

      await server.hide(hidden);
      await server.delete(deleted);
      await server.edit(edited, 'user', 'edited: my address is not for memory');

      const night2 = await runCli(['run', '--now', new Date(Date.now() + 3 * hour).toISOString()], env);
      assert.equal(night2.code, 0, night2.stdout + night2.stderr);
      const told = retractions.deliveries.filter((d) => d.status === 200);
      assert.ok(told.length >= 1, 'night two sends the retraction');
      for (const delivery of told) {
        assert.equal(delivery.signatureValid, true);
        assert.equal(delivery.idempotencyKey, delivery.body.id);
        assertRetractionBody(delivery.body);
      }
      const changes = told.flatMap((d) => d.body.chats.map((chat: { chatId: number }) => ({ ...chat, conversation: d.body.conversation as string })));
      const of = (id: number) => changes.filter((chat) => chat.chatId === id);
      assert.deepEqual(of(hidden), [{ chatId: hidden, change: 'hidden', conversation: sentIn.get(hidden) }]);
      assert.deepEqual(of(deleted), [{ chatId: deleted, change: 'deleted', conversation: sentIn.get(deleted) }]);
      const [edit] = of(edited) as { change: string; conversation: string; messages: { role: string; content: string }[] }[];
      assert.deepEqual([of(edited).length, edit?.change, edit?.conversation, edit?.messages[0]], [1, 'edited', sentIn.get(edited), { role: 'user', content: 'edited: my address is not for memory' }]);
      assert.equal(new Set(told.map((d) => d.body.conversation)).size, told.length, 'one retraction per conversation');
      assert.doesNotMatch(night2.stdout + night2.stderr, /my address is not for memory/, 'no text in a log line');
    } finally {
      await retractions.close();
    }
  });
});
