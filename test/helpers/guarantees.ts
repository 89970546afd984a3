// Checks of DESIGN §4's guarantees ("nothing lost", "nothing sent twice", "the cursor never moves back, and only moves
// once what it covers is durable"), shared by the crash, fault, bad-record and state-damage suites.
import { strict as assert } from 'node:assert';
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Turn } from '../../src/domain/turn.js';
import type { ChatMark, Cursor, OutboxEntry, QuarantineRecord, SentRecord } from '../../src/store/records.js';
import { State } from '../../src/store/state.js';
import { startStandIn } from '../fixtures/anythingllm-stand-in.ts';
import type { RawChat } from '../fixtures/raw-chat.ts';
import { referenceConversations, referenceFate, type ReferenceConversation } from '../fixtures/reference-conversations.ts';
import { startWebhookReceiver, type Delivery, type Receiver } from '../fixtures/webhook-receiver.ts';
import { chatIdsOf, faultCliEnv, secret } from './cli-env.js';
import { runCli, type CliResult } from './run-cli.js';
import { levelsOf } from '../../src/store/levels.js';

export const hour = 3_600_000;
/** Night one run cleanly into a fresh folder: the starting point the night-two suites copy. */
export async function baselineNight(chats: readonly RawChat[], nowMs: number): Promise<{ dir: string; sent: number[][] }> {
  const standIn = await startStandIn({ chats: [...chats] });
  const receiver = await startWebhookReceiver({ secret });
  try {
    const dir = await mkdtemp(join(tmpdir(), 'memory-cron-baseline-'));
    const night = await runCli(['--now', new Date(nowMs).toISOString()], faultCliEnv(standIn, receiver, dir));
    assert.equal(night.code, 0, outcome(night));
    return { dir, sent: [...receiver.accepted.values()].map((body) => chatIdsOf(body)) };
  } finally {
    await Promise.all([standIn.close(), receiver.close()]);
  }
}

/** "exit 0" or "killed by SIGKILL", with the output when it was not what a test expected. */
export function outcome(result: CliResult): string {
  return `${result.signal === null ? `exit ${result.code}` : `killed by ${result.signal}`}\n${result.stdout.slice(-4000)}${result.stderr.slice(-2000)}`;
}

/** The codes of the error lines (level ≥ 50, with a `code`) a run logged. */
export function errorCodes(result: CliResult): string[] {
  return result.lines.filter((line) => line['level'] >= 50 && line['code'] !== undefined).map((line) => String(line['code']));
}

/** What STATE_DIR holds, read from a copy (the run's own files are left exactly as the crash left them). */
export interface StateSnapshot {
  readonly cursor: Cursor | undefined;
  readonly marks: Map<number, ChatMark>;
  /** Staged turns that belong to no frozen conversation. */
  readonly turns: { key: string; turn: Turn }[];
  /** Each frozen conversation with its chat ids (from its kept messages, or its turns, which must all be there). */
  readonly outbox: (OutboxEntry & { readonly chatIds: number[] })[];
  readonly sent: Map<string, SentRecord>;
  readonly quarantine: QuarantineRecord[];
}

/** Reads STATE_DIR through a copy of its LevelDB folder, so recovering the copy leaves the original untouched. */
export async function snapshotState(stateDir: string): Promise<StateSnapshot> {
  const empty: StateSnapshot = { cursor: undefined, marks: new Map(), turns: [], outbox: [], sent: new Map(), quarantine: [] };
  if (!(await stat(join(stateDir, 'db')).catch(() => undefined))) return empty;
  const copy = await mkdtemp(join(tmpdir(), 'memory-cron-snapshot-'));
  try {
    await cp(join(stateDir, 'db'), join(copy, 'db'), { recursive: true });
    const state = await State.open(copy, 'snapshot');
    try {
      const turns = new Map(await levelsOf(state).turns.iterator().all());
      const outbox = (await levelsOf(state).outbox.values().all()).map((entry) => ({ ...entry, chatIds: frozenChatIds(entry, turns) }));
      const frozen = new Set(outbox.flatMap((entry) => entry.turnKeys ?? []));
      return {
        cursor: await state.meta('cursor'),
        marks: new Map((await levelsOf(state).chats.iterator().all()).map(([key, mark]) => [Number(key), mark])),
        turns: [...turns].filter(([key]) => !frozen.has(key)).map(([key, turn]) => ({ key, turn })),
        outbox,
        sent: new Map(await levelsOf(state).sent.iterator().all()),
        quarantine: await levelsOf(state).quarantine.values().all(),
      };
    } finally {
      await state.close();
    }
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

function frozenChatIds(entry: OutboxEntry, turns: ReadonlyMap<string, Turn>): number[] {
  if (entry.turnKeys === undefined) return chatIdsOf({ messages: entry.conversation.messages ?? [] });
  return entry.turnKeys.map((key) => {
    const turn = turns.get(key);
    assert.ok(turn !== undefined, `frozen conversation ${entry.conversation.id} has its turn ${key}`);
    return turn.id;
  });
}

const setKey = (ids: readonly number[]) => [...ids].sort((a, b) => a - b).join(',');
const validId = (chat: RawChat): number | undefined => {
  const id = chat['id'];
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
};

/**
 * The state is one consistent whole, whatever instant a crash hit: every staged mark has its turn and every staged
 * turn its mark; every chat handed to delivery belongs to exactly one frozen or sent conversation; and, when
 * `covered` (the chats the source held when the cursor was written) is given, every one of them at or below the
 * cursor is durable (staged, frozen, sent, skipped or quarantined).
 */
export function assertStateConsistent(s: StateSnapshot, covered?: readonly RawChat[], context = ''): void {
  const at = context === '' ? '' : ` (${context})`;
  const turnKeys = new Set(s.turns.map((t) => t.key));
  for (const { key, turn } of s.turns) assert.deepEqual(s.marks.get(turn.id), { s: 'staged', k: key, u: turn.updatedAt }, `staged turn ${turn.id} has its mark${at}`);
  const outbox = new Map(s.outbox.map((entry) => [entry.conversation.id, entry]));
  for (const [id, mark] of s.marks) {
    if (mark.s === 'staged') assert.ok(turnKeys.has(mark.k), `chat ${id} marked staged has its turn${at}`);
    if (mark.s === 'conv') assert.ok(outbox.has(mark.c) || s.sent.has(mark.c), `chat ${id} handed to ${mark.c}, which is frozen or sent${at}`);
  }
  const owner = new Map<number, string>();
  for (const entry of s.outbox) {
    assert.ok(!s.sent.has(entry.conversation.id), `${entry.conversation.id} is not both in the outbox and sent${at}`);
    for (const id of entry.chatIds) {
      assert.equal(owner.get(id) ?? entry.conversation.id, entry.conversation.id, `chat ${id} is frozen in one conversation only${at}`);
      owner.set(id, entry.conversation.id);
      const mark = s.marks.get(id);
      assert.deepEqual(mark?.s === 'conv' ? { s: mark.s, c: mark.c } : mark, { s: 'conv', c: entry.conversation.id }, `frozen chat ${id} is marked with its conversation${at}`);
      assert.match(String((mark as { h?: unknown }).h), /^[0-9a-f]{16}$/, `frozen chat ${id} keeps the digest of what it said${at}`);
    }
  }
  if (covered !== undefined && s.cursor !== undefined) {
    const cursor = s.cursor.id;
    const missing = covered.map(validId).filter((id): id is number => id !== undefined && id <= cursor && !s.marks.has(id));
    assert.deepEqual(missing, [], `every chat at or below the cursor ${cursor} is durable${at}`);
  }
}

/** What the receiver saw, judged against the promises; every figure that must be 0 is asserted to be. */
export interface DeliveryFigures {
  /** Conversations accepted (distinct Idempotency-Keys answered 2xx). */
  accepted: number;
  /** POSTs of a key after its first (retries and resends after a crash), all with the same key and body. */
  repeats: number;
  /** Expected chats that reached no accepted conversation and are not waiting in an open one. */
  lost: number;
  /** Chats that arrived under two different conversation ids. */
  underTwoKeys: number;
}

/** Options of {@link assertDeliveredExactly}. */
export interface DeliveredOptions {
  readonly gapMs?: number;
  readonly realNowMs?: number;
  /** Chat-id lists of conversations accepted by an earlier receiver (an earlier night on a copied STATE_DIR). */
  readonly sentBefore?: readonly (readonly number[])[];
  /** Figures added to before anything is asserted, so a report shows them even when a promise is broken. */
  readonly tally?: { lost: number; underTwoKeys: number };
}

/**
 * The receiver got exactly the closed conversations of one sorted pass over `chats` (DESIGN §2), each under one key
 * and body however often it was POSTed, no chat under two keys, every body signed; and the state holds exactly the
 * open conversations' turns, an empty outbox, and a cursor at the newest chat.
 */
export function assertDeliveredExactly(receiver: Receiver, chats: readonly RawChat[], nowMs: number, s: StateSnapshot, options: DeliveredOptions = {}): DeliveryFigures {
  const expected = referenceConversations(chats, { gapMs: options.gapMs ?? hour, nowMs, ...(options.realNowMs === undefined ? {} : { realNowMs: options.realNowMs }) });
  const before = new Set((options.sentBefore ?? []).map(setKey));
  const byKey = new Map<string, Delivery[]>();
  const keysOfChat = new Map<number, Set<string>>();
  for (const delivery of receiver.deliveries) {
    assert.equal(delivery.idempotencyKey, delivery.body?.id, 'Idempotency-Key is the body id');
    assert.equal(delivery.headers['webhook-id'], delivery.body?.id, 'webhook-id is the body id');
    assert.equal(delivery.signatureValid, true, 'every POST is signed');
    const key = delivery.idempotencyKey as string;
    byKey.set(key, [...(byKey.get(key) ?? []), delivery]);
    for (const id of chatIdsOf(delivery.body)) keysOfChat.set(id, (keysOfChat.get(id) ?? new Set()).add(key));
  }
  for (const [key, posts] of byKey) assert.ok(posts.every((post) => post.raw === posts[0]?.raw), `every POST of ${key} carries the same frozen body`);
  const underTwoKeys = [...keysOfChat.values()].filter((keys) => keys.size > 1).length;
  const accepted = [...receiver.accepted.values()].map((body) => setKey(chatIdsOf(body))).sort();
  const closed = expected.filter((c) => c.closed && !before.delete(setKey(c.chatIds)));
  assert.deepEqual([...before], [], 'what earlier nights sent is part of one sorted pass');
  const deliveredChats = new Set([...receiver.accepted.values(), ...(options.sentBefore ?? []).map((ids) => ({ messages: ids.map((chatId) => ({ chatId })) }))].flatMap((body) => chatIdsOf(body)));
  const stagedChats = new Set(s.turns.map((t) => t.turn.id));
  const lost = expected.flatMap((c) => c.chatIds).filter((id) => !deliveredChats.has(id) && !stagedChats.has(id)).length;
  if (options.tally !== undefined) {
    options.tally.lost += lost;
    options.tally.underTwoKeys += underTwoKeys;
  }
  assert.equal(lost, 0, 'no chat is lost');
  assert.equal(underTwoKeys, 0, 'no chat arrives under two conversation ids');
  assert.deepEqual(accepted, closed.map((c) => setKey(c.chatIds)).sort(), 'the closed conversations of one sorted pass arrive, each once');
  assertOpenStaged(s, expected);
  assert.deepEqual(s.outbox.map((e) => `${e.conversation.id} ${e.status}`), [], 'the outbox is empty');
  const newest = Math.max(...chats.filter((chat) => referenceFate(chat, false, options.realNowMs) !== 'bad').map((chat) => validId(chat) ?? -1));
  assert.ok(s.cursor !== undefined && s.cursor.id >= newest, `the cursor (${s.cursor?.id}) is at or past the newest chat (${newest})`);
  assert.ok(Math.max(...s.marks.keys()) <= s.cursor.id, 'the cursor is not behind any chat taken in');
  return { accepted: receiver.accepted.size, repeats: receiver.deliveries.length - byKey.size, lost, underTwoKeys };
}

function assertOpenStaged(s: StateSnapshot, expected: readonly ReferenceConversation[]): void {
  const open = expected.filter((c) => !c.closed).flatMap((c) => c.chatIds).sort((a, b) => a - b);
  assert.deepEqual(s.turns.map((t) => t.turn.id).sort((a, b) => a - b), open, 'exactly the open conversations stay staged');
}

/** Resolves once `condition()` holds, polling every few ms; fails after `ms`. */
export async function until(condition: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
