import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import type { Conversation } from '../src/domain/conversation.js';
import { runNight } from '../src/job.js';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { writeNdjson } from './fixtures/chat-generator.ts';
import { makeChat, type RawChat } from './fixtures/raw-chat.ts';
import { referenceConversations } from './fixtures/reference-conversations.ts';
import { chatIdsOf, chatKey } from './helpers/cli-env.js';
import { tempDir } from './helpers/temp-dir.js';

const minute = 60_000;
const gapMs = 60 * minute;
const base = Date.parse('2026-11-01T00:00:00Z');
const silent = pino({ level: 'silent' });

// Who writes: in a thread (threads belong to one user: thread t to user t), a user in a workspace's default
// thread, an API session, or the API without a session.
const writerArb = fc.oneof(
  fc.integer({ min: 1, max: 3 }).map((thread) => ({ kind: 'thread' as const, thread, user: thread })),
  fc.record({ kind: fc.constant('user' as const), user: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('session' as const), session: fc.constantFrom('slack-U1', 'slack-U2') }),
  fc.constant({ kind: 'nobody' as const }),
);

// Chats on a minute grid over ten hours, so gaps of exactly the window are common; no order between time and id.
const rowsArb = fc.array(fc.record({ workspaceId: fc.integer({ min: 1, max: 2 }), writer: writerArb, minuteAt: fc.integer({ min: 0, max: 600 }), hidden: fc.integer({ min: 0, max: 11 }).map((n) => n === 0) }), { minLength: 1, maxLength: 70 });

type Row = { workspaceId: number; minuteAt: number; hidden: boolean; writer: { kind: string; thread?: number; user?: number; session?: string } };

// The rows as AnythingLLM serves them. Ids follow insertion, as an autoincrement does: the rows a night sees
// first (by the night they first belong to) get the lower ids, in a random order within each night that is
// drawn apart from createdAt.
function toChats(rows: readonly Row[], nights: readonly number[], seed: number): RawChat[] {
  const firstNight = (row: Row) => nights.findIndex((night) => base + row.minuteAt * minute <= night);
  const order = rows.map((row, index) => ({ row, night: firstNight(row), key: hash(seed, index) })).sort((a, b) => a.night - b.night || a.key - b.key);
  return order.map(({ row }, index) => {
    const at = new Date(base + row.minuteAt * minute).toISOString();
    const w = row.writer;
    const who =
      w.kind === 'thread' ? { thread_id: w.thread!, user_id: w.user!, user: { username: `u${w.user}` } }
      : w.kind === 'user' ? { user_id: w.user!, user: { username: `u${w.user}` } }
      : w.kind === 'session' ? { api_session_id: w.session!, user: { username: 'API' } }
      : {};
    return makeChat({ id: index + 1, workspaceId: row.workspaceId, createdAt: at, include: !row.hidden, ...who });
  });
}

describe('nights are splits at instants, through the job (DESIGN §2)', () => {
  it('random histories, times apart from ids, any split into nights and either source give the conversations of one sorted pass per history', async () => {
    await fc.assert(
      fc.asyncProperty(
        rowsArb,
        fc.uniqueArray(fc.integer({ min: 0, max: 800 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.constantFrom('api' as const, 'file' as const), { minLength: 4, maxLength: 4 }),
        fc.integer(),
        async (rows, nightMinutes, sources, seed) => {
          const nights = [...nightMinutes].sort((a, b) => a - b).map((m) => base + m * minute);
          const chats = toChats(rows as Row[], nights, seed);
          const dir = await tempDir();
          const standIn = await startStandIn();
          const sent: Conversation[] = [];
          try {
            for (const [i, nowMs] of nights.entries()) {
              const visible = chats.filter((chat) => Date.parse(String(chat['createdAt'])) <= nowMs);
              standIn.chats.splice(0, standIn.chats.length, ...visible);
              const file = join(dir, `night-${i}.ndjson`);
              await writeNdjson(file, shuffle(visible, seed + i));
              const source = sources[i] === 'file' ? { source: `file:${file}` } : {};
              const config = loadConfig({ stateDir: join(dir, 'state'), now: new Date(nowMs).toISOString(), concurrency: 3, ...source }, { BASE_URL: standIn.url, API_KEY: standIn.apiKey, WEBHOOK_URL: 'http://127.0.0.1:9/unused', RETRY_MIN_DELAY: '1' });
              await runNight(config, { log: silent, signal: new AbortController().signal, version: 'test', command: 'property', send: async (c) => (sent.push(c), { ok: true, status: 200 }) });
            }
          } finally {
            await standIn.close();
          }
          const sentChats = sent.flatMap((c) => chatIdsOf(c));
          assert.equal(new Set(sentChats).size, sentChats.length, 'no chat is sent twice');
          const expected = referenceConversations(chats, { gapMs, nowMs: nights.at(-1) as number, realNowMs: base }).filter((c) => c.closed);
          assert.deepEqual(sent.map((c) => chatKey(chatIdsOf(c))).sort(), expected.map((c) => chatKey(c.chatIds)).sort());
          assert.ok(sent.every((c) => c.continues === null), 'split at instants, nothing continues a sent conversation');
          const byId = new Map(chats.map((chat) => [chat['id'] as number, chat]));
          for (const c of sent) {
            const first = byId.get(c.messages[0]!.chatId)!;
            const userId = (first['user_id'] as number | null) ?? null;
            assert.deepEqual(c.user, userId === null ? null : { id: userId, username: `u${userId}` });
            assert.equal(c.apiSessionId, first['api_session_id'] ?? null);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

function hash(seed: number, index: number): number {
  return Math.imul(seed ^ Math.imul(index + 1, 0x9e3779b1), 0x85ebca6b) >>> 0;
}

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed | 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    const j = Math.abs(s) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
