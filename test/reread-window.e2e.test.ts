import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat, type ChatRecord } from './fixtures/raw-chat.ts';
import { startWebhookReceiver, type Delivery, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, chatKey, cliEnv } from './helpers/cli-env.js';
import { runCli, summaryOf, type CliResult } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

// DESIGN §1 "Rows change after they are written": each night re-reads REREAD_WINDOW before the previous cursor, and
// what it shows wins for every chat not yet sent; changes to sent chats are counted, never resent.

const minute = 60_000;
const hour = 60 * minute;
const night1 = Date.parse('2026-11-10T09:00:00Z'); // 03:00 in Chicago
const night2 = night1 + 24 * hour;
const iso = (ms: number) => new Date(ms).toISOString();
const reply = (text: string) => JSON.stringify({ text, sources: [], type: 'chat', attachments: [] });
const accepted = (receiver: Receiver): Delivery[] => receiver.deliveries.filter((d) => d.status >= 200 && d.status < 300);
const acceptedWith = (receiver: Receiver, id: number) => accepted(receiver).filter((d) => chatIdsOf(d.body).includes(id));

// Ninety-nine chats of thread 1 three days before night 1: older than any window, so paging has an end.
const olderHistory = (): ChatRecord[] => Array.from({ length: 99 }, (_, i) => makeChat({ id: i + 1, thread_id: 1, createdAt: iso(night1 - 72 * hour + i * minute) }));

async function night(standIn: StandIn, receiver: Receiver, stateDir: string, nowMs: number, extra: Record<string, string> = {}): Promise<CliResult> {
  const result = await runCli(['run', '--now', iso(nowMs)], cliEnv(standIn, receiver, stateDir, extra));
  assert.ok(result.code === 0 || result.code === 6, result.stdout + result.stderr);
  return result;
}

describe('the re-read window (DESIGN §1)', () => {
  // Night 1 reads agent chat 101 of thread 7 while its agent still runs (hidden, "{}"); forty-five chats of thread 8
  // come after it, all closed and sent that night, so nothing staged holds paging back to it. By night 2 the agent has
  // answered in place: include true, the reply, a newer lastUpdatedAt — two pages below the cursor.
  const agentNights = async (env: Record<string, string>) => {
    const agentChat = makeChat({ id: 101, thread_id: 7, createdAt: iso(night1 - 100 * minute), include: false, response: '{}' });
    const chats = [
      ...olderHistory(),
      makeChat({ id: 100, thread_id: 7, createdAt: iso(night1 - 105 * minute) }),
      agentChat,
      ...Array.from({ length: 45 }, (_, i) => makeChat({ id: 102 + i, thread_id: 8, createdAt: iso(night1 - 99 * minute + i * 30_000) })),
    ];
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    try {
      const first = await night(standIn, receiver, stateDir, night1, env);
      assert.equal(first.code, 0);
      assert.equal(acceptedWith(receiver, 101).length, 0, 'night 1 skips the running agent chat');
      const sentBefore = accepted(receiver).find((d) => chatKey(chatIdsOf(d.body)) === '100');
      assert.ok(sentBefore !== undefined, 'night 1 sends chat 100 alone');
      standIn.update(101, { include: true, response: reply('the agent found three flights'), lastUpdatedAt: iso(night1 + 10 * minute) });
      standIn.add(...Array.from({ length: 10 }, (_, i) => makeChat({ id: 147 + i, thread_id: 9, createdAt: iso(night1 + 20 * hour + i * minute) })));
      const second = await night(standIn, receiver, stateDir, night2, env);
      assert.equal(second.code, 0);
      return { delivered: acceptedWith(receiver, 101), continued: sentBefore.body.id as string, pages: summaryOf(second)?.['pages'] as number };
    } finally {
      await standIn.close();
      await receiver.close();
    }
  };

  it('an agent chat completed after night 1, two pages below the cursor, is delivered on night 2, once, continuing its thread', async () => {
    const { delivered, continued } = await agentNights({});
    assert.equal(delivered.length, 1, 'delivered once');
    const body = delivered[0]!.body;
    assert.deepEqual(chatIdsOf(body), [101]);
    assert.equal(body.threadId, 7);
    assert.equal(body.continues, continued, 'it continues the conversation of its thread sent on night 1');
    assert.deepEqual(body.messages.map((m: { role: string; content: string }) => [m.role, m.content]), [['user', 'question 101'], ['assistant', 'the agent found three flights']]);
  });

  it('with REREAD_WINDOW=0 the same completed agent chat is lost: the window is what saves it', async () => {
    const { delivered, pages } = await agentNights({ REREAD_WINDOW: '0' });
    assert.equal(delivered.length, 0, 'never delivered');
    assert.equal(pages, 2, 'night 2 reads page 0 and the overlap page only');
  });

  it('of an open conversation, a chat reset and a chat deleted before night 2 are never sent; an edited one is sent as edited', async () => {
    const open = [201, 202, 203, 204].map((id, i) => makeChat({ id, thread_id: 5, createdAt: iso(night1 - (40 - i * 10) * minute) }));
    const standIn = await startStandIn({ chats: [...olderHistory(), ...open] });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    try {
      await night(standIn, receiver, stateDir, night1);
      assert.equal(acceptedWith(receiver, 201).length, 0, 'the conversation is still open on night 1');
      standIn.update(202, { include: false }); // a user's "delete" in the UI, or /reset: lastUpdatedAt unchanged
      standIn.remove(203); // an admin's delete
      standIn.update(204, { prompt: 'question 204, edited', response: reply('answer 204, edited') }); // /update-chat keeps lastUpdatedAt
      const second = await night(standIn, receiver, stateDir, night2);
      assert.equal(second.code, 0);
      const sent = acceptedWith(receiver, 201);
      assert.equal(sent.length, 1);
      assert.deepEqual(chatIdsOf(sent[0]!.body), [201, 204], 'the reset and the deleted chat are not sent');
      assert.deepEqual(sent[0]!.body.messages.slice(2).map((m: { content: string }) => m.content), ['question 204, edited', 'answer 204, edited']);
      const counts = summaryOf(second)?.['chats'];
      assert.equal(counts.gone, 1, 'chat 203 proven gone: its neighbours 204 and 202 were served side by side');
      assert.equal(counts.updated, 2, 'chat 202 unstaged as hidden, chat 204 replaced by its edit');
      assert.equal(accepted(receiver).filter((d) => chatIdsOf(d.body).some((id) => id === 202 || id === 203)).length, 0);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it("a dead letter's chats inside the window are not restaged: it is sent as frozen, and changes count once it is sent", async () => {
    const chats = [...olderHistory(), ...[301, 302, 303].map((id, i) => makeChat({ id, thread_id: 3, createdAt: iso(night1 - (90 - i * 5) * minute) }))];
    const standIn = await startStandIn({ chats });
    let down = true;
    const receiver = await startWebhookReceiver({ respond: (delivery) => ({ status: down && chatIdsOf(delivery.body).includes(301) ? 503 : 200 }) });
    const stateDir = await tempDir();
    try {
      const first = await night(standIn, receiver, stateDir, night1, { RETRIES: '1' });
      assert.equal(first.code, 6, 'night 1 leaves a dead letter');
      standIn.update(302, { prompt: 'question 302, edited' });
      standIn.update(303, { response: reply('answer 303, regenerated'), lastUpdatedAt: iso(night1 + hour) });
      down = false;
      const second = await night(standIn, receiver, stateDir, night2);
      assert.equal(second.code, 0);
      const sent = acceptedWith(receiver, 301);
      assert.equal(sent.length, 1, 'the dead letter is sent once');
      assert.deepEqual(chatIdsOf(sent[0]!.body), [301, 302, 303]);
      assert.equal(sent[0]!.body.messages[2].content, 'question 302', 'as it was frozen, not as edited');
      assert.equal(acceptedWith(receiver, 302).length, 1, 'no chat of it restaged into another conversation');
      assert.equal(summaryOf(second)?.['chats'].staged, 0);
      assert.equal(summaryOf(second)?.['chats'].changedAfterSend, 0, 'not counted while only frozen');
      const third = await night(standIn, receiver, stateDir, night2 + 24 * hour);
      assert.equal(summaryOf(third)?.['chats'].changedAfterSend, 2, 'counted once it is sent');
      assert.equal(acceptedWith(receiver, 302).length, 1, 'never resent');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('changes to sent chats are counted once each (changed, hidden, deleted) and never resent; status shows them', async () => {
    const chats = [...olderHistory(), ...[401, 402, 403, 404, 405].map((id, i) => makeChat({ id, thread_id: 4, createdAt: iso(night1 - (90 - i * 5) * minute) }))];
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    try {
      await night(standIn, receiver, stateDir, night1);
      assert.equal(acceptedWith(receiver, 401).length, 1);
      standIn.update(402, { prompt: 'question 402, edited' });
      standIn.update(403, { include: false });
      standIn.remove(404);
      const second = await night(standIn, receiver, stateDir, night2);
      const counts = summaryOf(second)?.['chats'];
      assert.deepEqual([counts.changedAfterSend, counts.hiddenAfterSend, counts.deletedAfterSend], [1, 1, 1]);
      const status = await runCli(['status'], { STATE_DIR: stateDir });
      assert.match(status.stdout, /after sending\s+1 changed · 1 hidden · 1 deleted/);
      const third = await night(standIn, receiver, stateDir, night2 + 24 * hour);
      const again = summaryOf(third)?.['chats'];
      assert.deepEqual([again.changedAfterSend, again.hiddenAfterSend, again.deletedAfterSend], [0, 0, 0], 'each change counted once');
      assert.equal(accepted(receiver).length, 2, 'nothing resent: the older history and thread 4 on night 1, nothing since');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});
