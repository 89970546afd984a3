import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat, type ChatRecord } from './fixtures/raw-chat.ts';
import { startWebhookReceiver, type Delivery, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, cliEnv } from './helpers/cli-env.js';
import { runCli, summaryOf, type CliResult } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

// DESIGN §1 "Open" and §2 "Caps": a conversation that stays open is re-read back to its first turn every night, and a
// history that never goes quiet, or grows past what a receiver takes, is sent in parts that continue each other.

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const iso = (ms: number) => new Date(ms).toISOString();
const accepted = (receiver: Receiver): Delivery[] => receiver.deliveries.filter((d) => d.status >= 200 && d.status < 300);
// An automation on the developer API: session bot-1 of workspace 1.
const botChat = (id: number, at: number, fields: Partial<ChatRecord> = {}): ChatRecord => makeChat({ id, api_session_id: 'bot-1', createdAt: iso(at), ...fields });

async function night(standIn: StandIn, receiver: Receiver, stateDir: string, nowMs: number, extra: Record<string, string> = {}): Promise<CliResult> {
  const result = await runCli(['run', '--now', iso(nowMs)], cliEnv(standIn, receiver, stateDir, extra));
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return result;
}

describe('a conversation open across nights (DESIGN §1 "Open")', () => {
  it('open for three nights, its chats 5, 10 and 12 hidden, edited and deleted after the first: sent once, without 5 and 12, with 10 as edited', async () => {
    const night1 = Date.parse('2026-11-10T09:00:00Z');
    const start = night1 - 40 * hour; // chats 5–12 lie pages below REREAD_WINDOW before any cursor
    // A chat every 20 minutes (taking one out leaves a gap within the hour) from 40 h before night 1 to 50 h after it.
    const chats = Array.from({ length: 271 }, (_, i) => botChat(i + 1, start + i * 20 * minute));
    const visibleAt = (nowMs: number) => chats.filter((c) => Date.parse(c.createdAt) <= nowMs);
    const standIn = await startStandIn({ chats: visibleAt(night1) });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    const env = { MAX_CONVERSATION_SPAN: '0' }; // the span cap off: one conversation, however long
    try {
      await night(standIn, receiver, stateDir, night1, env);
      assert.equal(accepted(receiver).length, 0, 'open after night 1');
      standIn.update(5, { include: false });
      standIn.update(10, { prompt: 'question 10, as edited' }); // an edit keeps lastUpdatedAt
      standIn.remove(12);
      for (const k of [1, 2]) {
        standIn.add(...visibleAt(night1 + k * day).filter((c) => Date.parse(c.createdAt) > night1 + (k - 1) * day));
        const result = await night(standIn, receiver, stateDir, night1 + k * day, env);
        assert.equal(accepted(receiver).length, 0, `still open after night ${k + 1}`);
        if (k === 1) {
          const counts = summaryOf(result)?.['chats'];
          assert.deepEqual([counts?.updated, counts?.gone], [2, 1], 'night 2 re-reads back to the first turn: 5 unstaged, 10 restaged, 12 gone');
        }
      }
      const status = await runCli(['status'], { STATE_DIR: stateDir });
      const open = visibleAt(night1 + 2 * day).length - 2;
      assert.match(status.stdout, new RegExp(`open too long +chat history 0000000000000001:--:sbot-1: a conversation open since 2026-11-08T17:00:00\\.000Z \\(${open} chats from chat 1\\)`));
      standIn.add(...chats.filter((c) => Date.parse(c.createdAt) > night1 + 2 * day));
      await night(standIn, receiver, stateDir, night1 + 3 * day, env);
      const delivered = accepted(receiver);
      assert.equal(delivered.length, 1, 'sent once');
      const body = delivered[0]?.body;
      assert.deepEqual(chatIdsOf(body), chats.map((c) => c.id).filter((id) => id !== 5 && id !== 12));
      assert.equal(body.messages.find((m: { chatId: number; role: string }) => m.chatId === 10 && m.role === 'user').content, 'question 10, as edited');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});

describe('caps (DESIGN §2 "Caps")', () => {
  it('one chat every 40 minutes for 10 days: parts of at most 24 h, each continuing the one before, every chat once', async () => {
    const start = Date.parse('2026-11-01T00:00:00Z');
    const chats = Array.from({ length: 360 }, (_, i) => botChat(i + 1, start + i * 40 * minute));
    const standIn = await startStandIn();
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    try {
      let capped = 0;
      for (let k = 1; k <= 11; k++) {
        const nowMs = start + k * day + 3 * hour;
        standIn.chats.splice(0, standIn.chats.length, ...chats.filter((c) => Date.parse(c.createdAt) <= nowMs));
        const result = await night(standIn, receiver, stateDir, nowMs);
        capped += summaryOf(result)?.['conversations']?.capped as number;
      }
      const parts = accepted(receiver).map((d) => d.body);
      const ids = parts.flatMap((body) => chatIdsOf(body));
      assert.deepEqual(ids, chats.map((c) => c.id), 'every chat once, in order');
      assert.ok(parts.length >= 10);
      for (const [i, body] of parts.entries()) {
        assert.ok(Date.parse(body.endedAt) - Date.parse(body.startedAt) <= day, `part ${i} spans at most 24 h`);
        assert.equal(body.continues, i === 0 ? null : parts[i - 1]?.id, `part ${i} continues the part before`);
      }
      assert.equal(capped, parts.length - 1, 'every part but the last was cut by the span cap');
      assert.equal(new Set(accepted(receiver).map((d) => d.idempotencyKey)).size, parts.length);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('a history whose body would pass 1,000,000 bytes goes in parts below the limit, and a single turn of 1.5 MB goes alone', async () => {
    const start = Date.parse('2026-11-01T00:00:00Z');
    // 40 turns of 60,000 two-byte characters (120 KB each in UTF-8) two minutes apart; turn 20 is a 1.5 MB paste.
    const chats = Array.from({ length: 40 }, (_, i) => makeChat({ id: i + 1, thread_id: 3, createdAt: iso(start + i * 2 * minute), prompt: 'é'.repeat(i === 19 ? 750_000 : 60_000) }));
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    try {
      const result = await night(standIn, receiver, stateDir, start + 3 * hour);
      const delivered = accepted(receiver);
      const sizes = delivered.map((d) => Buffer.byteLength(d.raw, 'utf8'));
      const parts = delivered.map((d) => chatIdsOf(d.body));
      assert.deepEqual(parts.flat(), chats.map((c) => c.id), 'every chat once, in order');
      assert.deepEqual(parts.find((ids) => ids.includes(20)), [20], 'the 1.5 MB turn goes alone');
      for (const [i, ids] of parts.entries()) if (!ids.includes(20)) assert.ok(sizes[i]! <= 1_000_000, `part ${i} is ${sizes[i]} bytes`);
      assert.ok(sizes.find((_, i) => parts[i]?.includes(20))! > 1_500_000);
      assert.ok(parts.length >= 6, 'about eight turns of 120 KB per part');
      assert.equal(summaryOf(result)?.['conversations']?.capped, parts.length - 1);
      delivered.slice(1).forEach((d, i) => assert.equal(d.body.continues, delivered[i]?.body.id));
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});
