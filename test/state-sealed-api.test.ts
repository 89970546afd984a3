// Sealing seen from State's side (docs/security.md): a sealed state driven through every public method of State —
// each write path writing chat text that carries a marker, each read path giving it back plain — while the folder,
// read with a bare LevelDB handle between sessions, holds no value of a sealed kind but sealed. The method list is
// checked against State's prototype, so a method added to State later fails here until this test drives it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Level } from 'level';
import { buildConversation } from '../src/conversations/conversation.js';
import { conversationIdOf } from '../src/conversations/conversation-id.js';
import { historyKey, historyOf } from '../src/domain/chat-history.js';
import type { BadRecord, PageRecord } from '../src/domain/page-record.js';
import type { ConversationHead } from '../src/domain/retraction.js';
import type { Turn } from '../src/domain/turn.js';
import { isMcError } from '../src/errors.js';
import type { FoundChange, NightRecords, RetractionEntry } from '../src/store/records.js';
import { Sealer, sealedKinds, type SealingRecord } from '../src/store/sealing.js';
import { State, type PageWrite } from '../src/store/state.js';
import { scanForText } from './helpers/raw-scan.ts';
import { tempDir } from './helpers/temp-dir.js';
import { collectAll, hour, minute, t0, turn } from './helpers/turns.js';

const stateKey = Buffer.from('the state key of the sealed API test, 32+ characters').toString('base64');
const nextStateKey = `${stateKey}-after-rekey`;
const marker = `PLAIN-${randomBytes(6).toString('hex')}`;
const now = new Date(t0 + 24 * hour);
const at = now.toISOString();

// The kinds docs/security.md says are sealed, written out here rather than read from sealing.ts: a kind dropped
// from `sealedKinds` must fail this test, not quietly leave its check.
const sealedPrefixes = ['!changed!', '!outbox!', '!quarantine!', '!replay!', '!retractions!', '!turns!'];
// The first byte of a sealed value (sealing.ts: `version ‖ iv ‖ tag ‖ ciphertext`, version 1).
const sealedFormat = 0x01;

// State's members that TypeScript alone keeps private (they are on the prototype at run time): not its API.
const privateMembers = [
  'levels', // the getter of its sublevels (levels.ts)
  'checkSchema', // part of open
];
// PageWrite's members writePage itself calls, not `decide`.
const writePageOwn = ['commit'];

/** `target`, with each method called through it recorded in `calls` (and run on `target` itself, private state intact). */
function tracked<T extends object>(target: T, calls: Set<string>): T {
  return new Proxy(target, {
    get(object, name) {
      const value: unknown = Reflect.get(object, name, object);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]) => {
        calls.add(name);
        return (value as (...args: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/** The names of the methods (and accessors) `prototype` defines, but its constructor. */
const methodsOf = (prototype: object) => Object.getOwnPropertyNames(prototype).filter((name) => name !== 'constructor');

/** Chat text carrying the marker. */
const said = (id: number, what: string) => `${marker} chat ${id} ${what}`;
/** A chat of thread 7 in workspace 1, `minutes` after t0, its prompt and reply carrying the marker. */
const chat = (id: number, minutes: number, fields: Partial<Turn> = {}) => turn({ id, createdAt: t0 + minutes * minute, threadId: 7, prompt: said(id, 'asks'), reply: said(id, 'answers'), ...fields });
const turnRecord = (copy: Turn): PageRecord => ({ kind: 'turn', turn: copy });

async function* each<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

/** The sealed prefixes found on disk, and those found holding chat text once opened. */
interface SealedSeen {
  readonly sealed: Set<string>;
  readonly withText: Set<string>;
}

/** Every entry of the state's database, read with a bare LevelDB handle on the closed state's folder. */
async function rawEntries(stateDir: string): Promise<Map<string, Buffer>> {
  const db = new Level<string, Buffer>(join(stateDir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  try {
    return new Map(await db.iterator().all());
  } finally {
    await db.close();
  }
}

/**
 * Reads the closed state in `stateDir` with a bare handle: no value holds the marker; every value under a sealed
 * prefix is not JSON, starts with the sealed format byte and opens with `key` (the sealing record's). Adds the
 * sealed prefixes it found to `seen.sealed`, and those whose opened value carries the marker to `seen.withText`;
 * then scans every file for the marker (raw, log records, table blocks).
 */
async function assertSealedOnDisk(stateDir: string, key: string, seen: SealedSeen): Promise<void> {
  const raw = await rawEntries(stateDir);
  const record = JSON.parse(raw.get('!meta!sealing')?.toString('utf8') ?? 'null') as SealingRecord | null;
  assert.ok(record !== null, 'the state records its sealing');
  const sealer = Sealer.forRecord(key, record);
  assert.ok(sealer !== undefined, 'sealed with the key in use');
  for (const [fullKey, value] of raw) {
    assert.ok(!value.toString('latin1').includes(marker), `${fullKey} holds no chat text plain`);
    const prefix = sealedPrefixes.find((sealed) => fullKey.startsWith(sealed));
    if (prefix === undefined) continue;
    seen.sealed.add(prefix);
    assert.throws(() => JSON.parse(value.toString('utf8')) as unknown, SyntaxError, `${fullKey} is not JSON`);
    assert.equal(value[0], sealedFormat, `${fullKey} starts with the sealed format byte`);
    const opened = sealer.open(prefix.slice(1, -1), fullKey, value);
    assert.ok(opened !== undefined, `${fullKey} opens with the state key, bound to its key`);
    const text = opened.toString('utf8');
    JSON.parse(text); // the record's JSON, once opened
    if (text.includes(marker)) seen.withText.add(prefix);
  }
  const scan = await scanForText(stateDir, new RegExp(marker, 'g'));
  assert.ok(scan.logRecords + scan.tableBlocks > 0, 'the scan read the log or the tables');
  assert.deepEqual(scan.findings, [], 'no file of STATE_DIR holds the marker, raw, in a log record or in a table block');
}

describe('a sealed state, driven through every State method', () => {
  it('gives back the plain text it was given, keeps every kind holding chat text sealed on disk, and leaves no State method undriven', async () => {
    const dir = await tempDir();
    const calls = new Set<string>();
    const pageWriteCalls = new Set<string>();
    let pageWriteMembers: string[] | undefined;
    const seen: SealedSeen = { sealed: new Set(), withText: new Set() };
    const Tracked = tracked(State, calls);
    const open = async (key: string) => tracked(await Tracked.open(dir, 'test', { stateKey: key }), calls);
    // State.writePage, with the PageWrite handed to `decide` tracked too.
    const writePage = <T>(state: State, decide: (write: PageWrite) => T) =>
      state.writePage((write) => {
        pageWriteMembers ??= methodsOf(Object.getPrototypeOf(write) as object);
        return decide(tracked(write, pageWriteCalls));
      });

    // Chats 1 and 2 make conversation A, sent; chat 3 (two hours on, same thread) conversation B, a dead letter;
    // chat 4 (another workspace) stays open; chat 6 is staged, then proven gone; record 9 is quarantined.
    const [a1, a2, a3] = [chat(1, 0), chat(2, 5), chat(3, 120)];
    const b4 = chat(4, 10, { workspaceId: 2, threadId: 8 });
    const gone6 = chat(6, 20);
    const bad9: BadRecord = { kind: 'bad', id: 9, createdAt: t0, reason: 'response is not JSON', raw: { id: 9, prompt: said(9, 'asks'), response: `{${said(9, 'answers')}` } };
    const page = [a1, a2, a3, b4, gone6].map(turnRecord).concat(bad9);
    const history = historyKey(historyOf(a1));
    const conversationA = buildConversation([a1, a2], undefined, hour);
    const conversationB = buildConversation([a3], { id: conversationA.id, endedAt: a2.createdAt }, hour);
    const head: ConversationHead = { workspace: conversationA.workspace, threadId: 7, user: null, apiSessionId: null };
    const edited: FoundChange = { kind: 'edited', h: 'digest-of-chat-1-now', messages: [{ role: 'user', content: said(1, 'asks, edited') }], seenAt: at, head };
    const deleted: FoundChange = { kind: 'deleted', h: '-', seenAt: at };
    const editedAgain: FoundChange = { ...edited, h: 'digest-of-chat-1-later', messages: [{ role: 'user', content: said(1, 'asks, edited again') }] };
    const retraction: RetractionEntry = {
      body: { type: 'retraction', id: 'ret_chats_1_2', conversation: conversationA.id, ...head, chats: [{ chatId: 1, change: 'edited', messages: edited.messages }, { chatId: 2, change: 'deleted' }], seenAt: at },
      told: [{ chatId: 1, h: edited.h }, { chatId: 2, h: deleted.h }],
      status: 'pending',
      attempts: 0,
      frozenAt: at,
    };

    // ── session 1: a fresh state, sealed from its first write ──
    let state = await open(stateKey);
    assert.equal(state.stateDir, dir);

    // the night's own records: no chat text, read back as written; storing the floor drops a first backfill's date
    const night: NightRecords = {
      cursor: { id: 6, createdAt: new Date(gone6.createdAt).toISOString(), movedAt: at },
      floor: t0 - 48 * hour,
      paging: { top: 6, low: 1, lowOffset: 0, scope: 'all:false' },
      firstBackfill: t0 - 24 * hour,
      source: 'http://anythingllm.test',
      openFrom: 4,
    };
    const names = Object.keys(night) as (keyof NightRecords)[];
    const nightRecords = () => Promise.all(names.map((name) => state.meta(name)));
    assert.deepEqual(await nightRecords(), names.map(() => undefined));
    await state.setMeta('firstBackfill', night.firstBackfill);
    assert.equal(await state.meta('firstBackfill'), night.firstBackfill);
    for (const name of names) if (name !== 'firstBackfill') await state.setMeta(name, night[name]);
    assert.deepEqual(await nightRecords(), names.map((name) => (name === 'firstBackfill' ? undefined : night[name])));
    await state.setMeta('paging', undefined);
    await state.setMeta('openFrom', undefined);
    assert.deepEqual(await nightRecords(), [night.cursor, night.floor, undefined, undefined, night.source, undefined]);

    // staging: stage, quarantine, then unstage and mark (in an exclusive section, as staging runs)
    const marks = await writePage(state, (write) => {
      const staged = [a1, a2, a3, b4, gone6].map((copy) => write.stage(copy));
      write.quarantine(bad9, at);
      return staged;
    });
    const known = await state.knownChats(page, [{ above: 9, below: 0 }]);
    assert.deepEqual(known.marks, new Map([...[1, 2, 3, 4, 6].map((id, i) => [id, marks[i]] as const), [9, undefined]]), 'five chats staged, a bad record never marked');
    assert.deepEqual([...known.staged.values()], [a1, a2, a3, b4, gone6], 'staged copies, plain');
    assert.deepEqual([...known.absent.keys()], [1, 2, 3, 4, 6]);
    assert.ok(known.quarantined.has(bad9), 'the bad record is kept');
    const gone = marks[4];
    assert.ok(gone !== undefined);
    await state.exclusive(() =>
      writePage(state, (write) => {
        write.unstage(gone);
        write.mark(6, { s: 'gone' });
      }),
    );
    const afterGone = await state.knownChats([turnRecord(gone6)], []);
    assert.deepEqual([afterGone.marks.get(6), afterGone.staged.size], [{ s: 'gone' }, 0]);
    assert.deepEqual(await collectAll(state.stagedTurns()), [a1, a2, a3, b4]);
    assert.deepEqual(await state.quarantined(), [{ id: 9, reason: bad9.reason, raw: bad9.raw, at }]);

    // delivery: plan, freeze, fail, send
    const plan = [
      { id: conversationA.id, startedAtMs: a1.createdAt, history, turns: [a1, a2] },
      { id: conversationB.id, startedAtMs: a3.createdAt, history, turns: [a3] },
    ];
    assert.equal(await state.writePlan(each(plan)), 2);
    const planned = await collectAll(state.plannedConversations());
    assert.deepEqual(planned, plan.map(({ turns: _, ...conversation }) => ({ ...conversation, staged: true })));
    assert.deepEqual(await Promise.all(planned.map((conversation) => state.plannedTurns(conversation))), [[a1, a2], [a3]]);
    const entryA = await state.freeze(conversationA, [a1, a2], now);
    assert.deepEqual(await state.frozenConversation(conversationA.id), { entry: entryA, turns: [a1, a2] });
    const entryB = await state.freeze(conversationB, [a3], now);
    const echoed = `HTTP 500: the receiver said "${a3.prompt}"`;
    const deadB = await state.markFailed(entryB, 'dead', echoed, 3, now);
    assert.deepEqual(deadB, { ...entryB, status: 'dead', attempts: 3, lastError: echoed, failedAt: at });
    assert.deepEqual(await collectAll(state.outboxEntries(['dead'])), [deadB]);
    assert.deepEqual(await collectAll(state.outboxEntries(['pending'])), [entryA]);
    assert.deepEqual(await collectAll(state.stagedTurns()), [b4], 'frozen turns are no new conversation');
    await state.clearPlan();
    assert.deepEqual(await collectAll(state.plannedConversations()), []);
    await state.markSent(entryA, conversationA, now);
    assert.equal(await state.frozenConversation(conversationA.id), undefined);
    assert.deepEqual(await state.sentRecord(conversationA.id), { history, startedAt: conversationA.startedAt, endedAt: conversationA.endedAt, chats: 2, sentAt: at, head });
    assert.deepEqual(await state.latestSentBefore(history, a3.createdAt), { id: conversationA.id, startedAt: a1.createdAt, endedAt: a2.createdAt });

    // retractions: changes found to sent chats 1 and 2 (and one to chat 5, dropped in the same page), frozen; chat 1
    // edited again since
    await writePage(state, (write) => {
      write.change(1, { c: conversationA.id, p: edited });
      write.change(2, { c: conversationA.id, p: deleted });
      write.change(5, { c: conversationA.id, p: deleted });
      write.change(5, undefined);
    });
    const knownSent = await state.knownChats([turnRecord(a1)], []);
    assert.deepEqual([knownSent.sent.get(conversationA.id)?.chats, knownSent.changes.get(1)], [2, { c: conversationA.id, p: edited }]);
    assert.deepEqual(await state.changesToFreeze(), new Map([[conversationA.id, new Map([[1, edited], [2, deleted]])]]));
    assert.equal((await state.retractionTotals()).retractionsWaiting, 1);
    await state.freezeRetraction(retraction);
    assert.deepEqual(await state.changesToFreeze(), new Map(), 'frozen changes wait for their retraction');
    assert.deepEqual(await state.retractionEntries(['pending']), [retraction]);
    await writePage(state, (write) => write.change(1, { c: conversationA.id, p: editedAgain, f: { r: retraction.body.id, h: edited.h } }));
    assert.deepEqual(await state.changesToFreeze(), new Map(), 'a change found since waits for the retraction not yet sent');

    // replay: copies of the chats a --redeliver regroups
    await state.keepForReplay([a1, a2, a3]);
    assert.deepEqual(await state.replayCopies([a1, b4]), [a1, undefined]);
    assert.deepEqual(await state.totals(), { stagedTurns: 1, sentConversations: 1, pending: 0, deadLetters: 1, parked: 0, quarantined: 1, retractionsSent: 0, retractionsWaiting: 1, retractionsDead: 0, retractionsParked: 0 });
    await state.close();
    await assertSealedOnDisk(dir, stateKey, seen);

    // ── session 2: reopened with its key; read back, then the rest of the API ──
    state = await open(stateKey);
    assert.deepEqual(await state.quarantined(), [{ id: 9, reason: bad9.reason, raw: bad9.raw, at }]);
    assert.deepEqual(await collectAll(state.outboxEntries(['pending', 'dead', 'parked'])), [deadB]);
    assert.deepEqual(await state.replayCopies([a1, a2, a3]), [a1, a2, a3]);
    const refused = `HTTP 422: the receiver refused "${edited.messages?.[0]?.content}"`;
    await state.markRetractionFailed(retraction, 'parked', refused, now);
    const parked: RetractionEntry = { ...retraction, status: 'parked', attempts: 1, lastError: refused, failedAt: at };
    assert.deepEqual(await state.retractionEntries(['parked']), [parked]);
    await state.markRetracted(parked, now);
    assert.deepEqual(await state.retractionEntries(['pending', 'dead', 'parked']), []);
    const told = await state.knownChats([turnRecord(a1)], []);
    const toldMark = told.marks.get(1);
    assert.ok(toldMark?.s === 'conv');
    assert.deepEqual([toldMark.c, toldMark.h, told.changes.get(1)], [conversationA.id, edited.h, { c: conversationA.id, p: editedAgain }], 'the mark takes what was told; the change found since stays');
    assert.deepEqual(await state.changesToFreeze(), new Map([[conversationA.id, new Map([[1, editedAgain]])]]));
    assert.deepEqual(await state.retractionTotals(), { retractionsSent: 1, retractionsWaiting: 1, retractionsDead: 0, retractionsParked: 0 });

    // --redeliver: chats 1–3 regrouped as one closed conversation, replacing A and B; chat 4, regenerated, reopened
    const sinceMs = t0 - hour;
    const b4again = { ...b4, updatedAt: b4.updatedAt + minute, reply: said(4, 'answers again') };
    await state.keepForReplay([b4again]);
    assert.deepEqual(await collectAll(state.replayTurns()), [a1, a2, a3, b4again]);
    const replayed = buildConversation([a1, a2, a3], undefined, hour);
    const replaced = await state.replacedBy([a1, a2, a3], replayed.id, sinceMs);
    assert.deepEqual(replaced, { conversations: new Set([conversationA.id, conversationB.id]), waiting: [] });
    await state.freezeReplayed(replayed, [a1, a2, a3], { conversations: replaced.conversations, kept: [] }, { replay: 'replay-20261124T100000000Z', sinceMs, now });
    const entryR = { conversation: replayed, status: 'pending', attempts: 0, frozenAt: at, replay: 'replay-20261124T100000000Z' };
    assert.deepEqual(await state.frozenConversation(replayed.id), { entry: entryR, turns: undefined }, 'kept with its messages, plain');
    assert.deepEqual([await state.sentRecord(conversationA.id), await state.latestSentBefore(history, a3.createdAt)], [undefined, undefined], 'what it replaces is forgotten');
    const open4 = await state.replacedBy([b4again], conversationIdOf([b4again]), sinceMs);
    assert.deepEqual(open4, { conversations: new Set(), waiting: [] });
    await state.reopenReplayed([b4again], { conversations: open4.conversations, kept: [] }, { sinceMs });
    assert.deepEqual(await collectAll(state.stagedTurns()), [b4again]);
    await state.clearReplay();
    assert.deepEqual(await collectAll(state.replayTurns()), []);

    // rekey, then compact what the night deleted
    await state.rekey(nextStateKey);
    assert.deepEqual(await collectAll(state.outboxEntries(['pending'])), [entryR], 'read back under the new key');
    assert.deepEqual(await state.totals(), { stagedTurns: 1, sentConversations: 0, pending: 1, deadLetters: 0, parked: 0, quarantined: 1, retractionsSent: 1, retractionsWaiting: 1, retractionsDead: 0, retractionsParked: 0 });
    await state.compactDeleted();
    await state.close();
    await assertSealedOnDisk(dir, nextStateKey, seen);

    // ── session 3: only the new key opens it, values intact ──
    await assert.rejects(State.open(dir, 'test', { stateKey }), (error) => isMcError(error, 'MC_STATE_KEY'));
    state = await open(nextStateKey);
    assert.deepEqual([await state.quarantined(), await collectAll(state.stagedTurns())], [[{ id: 9, reason: bad9.reason, raw: bad9.raw, at }], [b4again]]);
    await state.close();

    assert.deepEqual([...seen.sealed].sort(), sealedPrefixes, 'every sealed kind was on disk at some checkpoint');
    assert.deepEqual([...seen.withText].sort(), sealedPrefixes, 'and held chat text, sealed');
    assert.deepEqual(Object.keys(sealedKinds).sort(), sealedPrefixes, 'the kinds checked here are the kinds sealing.ts seals');

    // The guard: every public method of State (and of the PageWrite writePage hands out) was driven above.
    const prototypeMembers = methodsOf(State.prototype);
    for (const name of privateMembers) assert.ok(prototypeMembers.includes(name), `${name} is still a member of State`);
    const statics = Object.getOwnPropertyNames(State).filter((name) => typeof (State as unknown as Record<string, unknown>)[name] === 'function');
    assert.deepEqual([...calls].sort(), [...prototypeMembers.filter((name) => !privateMembers.includes(name)), ...statics].sort(), 'the State methods this test drives');
    assert.deepEqual([...pageWriteCalls].sort(), (pageWriteMembers ?? []).filter((name) => !writePageOwn.includes(name)).sort(), 'the PageWrite methods this test drives');
  });
});
