import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { toConversation } from '../src/conversations/conversation.js';
import type { Turn } from '../src/domain/turn.js';
import { normaliseRecord } from '../src/source/normalise-record.js';
import type { Conversation } from '../src/domain/conversation.js';
import { runNight } from '../src/job.js';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { writeNdjson } from './fixtures/chat-generator.ts';
import { makeChat, type RawChat } from './fixtures/raw-chat.ts';
import { referenceConversations, type ReferenceConversation } from './fixtures/reference-conversations.ts';
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

// The caps (DESIGN §2 "Caps"): off, or small enough to cut these short histories often.
const capsArb = fc.record({ spanMinutes: fc.oneof(fc.constant(0), fc.integer({ min: 20, max: 400 })), bytes: fc.oneof(fc.constant(0), fc.integer({ min: 500, max: 4000 })) });

// The source goes back between night `after` and the next (DESIGN §1 "A chat's identity"): its last `reused` ids are
// lost, and new chats (times drawn apart from ids, after that night) take those ids, then ids above every other.
const rewindArb = fc.option(
  fc.record({
    after: fc.nat(),
    reused: fc.integer({ min: 1, max: 8 }),
    chats: fc.array(fc.record({ workspaceId: fc.integer({ min: 1, max: 2 }), writer: writerArb, minuteAt: fc.nat(), hidden: fc.integer({ min: 0, max: 11 }).map((n) => n === 0) }), { minLength: 1, maxLength: 10 }),
  }),
  { nil: undefined },
);

type Row = { workspaceId: number; minuteAt: number; hidden: boolean; writer: { kind: string; thread?: number; user?: number; session?: string } };

// The rows as AnythingLLM serves them. Ids follow insertion, as an autoincrement does: the rows a night sees
// first (by the night they first belong to) get the lower ids, in a random order within each night that is
// drawn apart from createdAt.
function toChats(rows: readonly Row[], nights: readonly number[], seed: number): RawChat[] {
  const firstNight = (row: Row) => nights.findIndex((night) => base + row.minuteAt * minute <= night);
  const order = rows.map((row, index) => ({ row, night: firstNight(row), key: hash(seed, index) })).sort((a, b) => a.night - b.night || a.key - b.key);
  return order.map(({ row }, index) => toChat(row, index + 1));
}

function toChat(row: Row, id: number): RawChat {
  const at = new Date(base + row.minuteAt * minute).toISOString();
  const w = row.writer;
  const who =
    w.kind === 'thread' ? { thread_id: w.thread!, user_id: w.user!, user: { username: `u${w.user}` } }
    : w.kind === 'user' ? { user_id: w.user!, user: { username: `u${w.user}` } }
    : w.kind === 'session' ? { api_session_id: w.session!, user: { username: 'API' } }
    : {};
  return makeChat({ id, workspaceId: row.workspaceId, createdAt: at, include: !row.hidden, ...who });
}

// A chat by identity: ids are reused after a rewind, createdAt tells the two apart.
const identity = (id: number, createdAt: string | number) => `${id}@${new Date(createdAt).toISOString()}`;
const createdOf = (chat: RawChat) => Date.parse(String(chat['createdAt']));

// The size of the JSON body of a conversation of these rows, rendered by the job's own body builder (the caps' oracle).
function bodyBytes(rows: readonly RawChat[]): number {
  const turns = rows.map((row) => (normaliseRecord(row, base) as { turn: Turn }).turn);
  const longest = `conv_${'x'.repeat(32)}`;
  return Buffer.byteLength(JSON.stringify(toConversation(longest, turns, longest)), 'utf8');
}

/** The source's rows at each night, and the conversations one sorted pass per history gives over all nights. */
function scenario(chats: RawChat[], nights: readonly number[], rewind: { after: number; reused: number; chats: Row[] } | undefined, options: { gapMs: number; maxSpanMs: number; maxBytes: number }) {
  // What night `nowMs` has seen: a cap cut is known once the turn after it is seen (nights are splits at instants).
  const reference = (rows: readonly RawChat[], nowMs: number) => referenceConversations(rows.filter((row) => createdOf(row) <= nowMs), { ...options, nowMs, realNowMs: base, bodyBytes }).filter((c) => c.closed);
  const keys = (rows: readonly RawChat[], found: readonly ReferenceConversation[]) => {
    const byId = new Map(rows.map((row) => [row['id'] as number, row]));
    return found.map((c) => c.chatIds.map((id) => identity(id, String(byId.get(id)?.['createdAt']))).sort().join(','));
  };
  const last = nights.at(-1) as number;
  if (rewind === undefined || nights.length < 2) return { rowsAt: (i: number) => chats.filter((chat) => createdOf(chat) <= (nights[i] as number)), expected: keys(chats, reference(chats, last)) };
  const after = rewind.after % (nights.length - 1);
  const [at, next] = [nights[after] as number, nights[after + 1] as number];
  const seen = chats.filter((chat) => createdOf(chat) <= at).length; // ids 1..seen (ids follow the first night)
  const reused = Math.min(rewind.reused, seen, rewind.chats.length);
  const lost = new Set(Array.from({ length: reused }, (_, i) => seen - i));
  const span = Math.round((next - at) / minute);
  const written = rewind.chats.map((row, i) => toChat({ ...row, minuteAt: Math.round((at - base) / minute) + 1 + (row.minuteAt % span) }, i < reused ? seen - i : chats.length + 1 + i));
  const after$ = [...chats.filter((chat) => !lost.has(chat['id'] as number)), ...written];
  const before = reference(chats, at);
  const sentKept = new Set(before.flatMap((c) => c.chatIds).filter((id) => !lost.has(id)));
  const rest = after$.filter((chat) => !sentKept.has(chat['id'] as number));
  return {
    rowsAt: (i: number) => (i <= after ? chats : after$).filter((chat) => createdOf(chat) <= (nights[i] as number)),
    expected: [...keys(chats, before), ...keys(rest, reference(rest, last))],
  };
}

describe('nights are splits at instants, through the job (DESIGN §2)', () => {
  it('random histories, times apart from ids, random caps, any split into nights, either source and a source that goes back between two nights give the conversations of one sorted pass per history, each chat once, no conversation id reused', async () => {
    await fc.assert(
      fc.asyncProperty(
        rowsArb,
        fc.uniqueArray(fc.integer({ min: 0, max: 800 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.constantFrom('api' as const, 'file' as const), { minLength: 4, maxLength: 4 }),
        fc.integer(),
        capsArb,
        rewindArb,
        async (rows, nightMinutes, sources, seed, caps, rewind) => {
          const nights = [...nightMinutes].sort((a, b) => a - b).map((m) => base + m * minute);
          const chats = toChats(rows as Row[], nights, seed);
          const capsOn = caps.spanMinutes > 0 || caps.bytes > 0;
          const { rowsAt, expected } = scenario(chats, nights, rewind as { after: number; reused: number; chats: Row[] } | undefined, { gapMs, maxSpanMs: caps.spanMinutes * minute, maxBytes: caps.bytes });
          const dir = await tempDir();
          const standIn = await startStandIn();
          const sent: Conversation[] = [];
          const served = new Map<string, RawChat>();
          try {
            for (const [i, nowMs] of nights.entries()) {
              const visible = rowsAt(i);
              for (const chat of visible) served.set(identity(chat['id'] as number, String(chat['createdAt'])), chat);
              standIn.chats.splice(0, standIn.chats.length, ...visible);
              const file = join(dir, `night-${i}.ndjson`);
              await writeNdjson(file, shuffle(visible, seed + i));
              const source = sources[i] === 'file' ? { source: `file:${file}` } : {};
              const config = loadConfig({ stateDir: join(dir, 'state'), now: new Date(nowMs).toISOString(), concurrency: 3, ...source }, { BASE_URL: standIn.url, API_KEY: standIn.apiKey, WEBHOOK_URL: 'http://127.0.0.1:9/unused', RETRY_MIN_DELAY: '1', MAX_CONVERSATION_SPAN: `${caps.spanMinutes}m`, MAX_CONVERSATION_BYTES: String(caps.bytes) });
              await runNight(config, { log: silent, signal: new AbortController().signal, version: 'test', command: 'property', send: async (c) => (sent.push(c), { ok: true, status: 200 }) });
            }
          } finally {
            await standIn.close();
          }
          const chatsOf = (c: Conversation) => [...new Set(c.messages.map((m) => identity(m.chatId, m.createdAt)))];
          const sentChats = sent.flatMap(chatsOf);
          assert.equal(new Set(sentChats).size, sentChats.length, 'no chat is sent twice');
          assert.equal(new Set(sent.map((c) => c.id)).size, sent.length, 'no conversation id is reused');
          assert.deepEqual(sent.map((c) => chatsOf(c).sort().join(',')).sort(), [...expected].sort());
          if (!capsOn) assert.ok(sent.every((c) => c.continues === null), 'split at instants, nothing continues a sent conversation');
          const sentById = new Map(sent.map((c) => [c.id, c]));
          for (const c of sent) {
            if (c.continues === null) continue;
            const before = sentById.get(c.continues);
            assert.ok(before !== undefined && before.endedAt <= c.startedAt && Date.parse(c.startedAt) - Date.parse(before.endedAt) <= gapMs, 'continues names the part before it');
          }
          for (const c of sent) {
            const first = served.get(identity(c.messages[0]!.chatId, c.messages[0]!.createdAt))!;
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
