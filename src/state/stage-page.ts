import { createHash } from 'node:crypto';
import { normaliseRecord } from '../source/normalise-record.js';
import type { Turn } from '../source/turn.js';
import { padId, turnKey } from './keys.js';
import type { ChatMark } from './records.js';
import type { State } from './state.js';

/** What staging one page did, chat by chat. */
export interface StageCounts {
  /** Records received. */
  read: number;
  /** New turns staged. */
  staged: number;
  /** Staged turns replaced by a re-read copy that says something else (a regenerated, edited, moved or hidden chat). */
  updated: number;
  /** New chats with `include: false`, skipped (a hidden chat shown later is staged then). */
  skipped: number;
  /** New bad records quarantined. */
  quarantined: number;
  /** Copies of chats already staged, sent, skipped or quarantined. */
  ignored: number;
}

/** How to stage. */
export interface StageOptions {
  readonly includeHidden: boolean;
  /** The real clock, for the "more than a day in the future" check. */
  readonly realNowMs: number;
}

/** An empty tally. */
export function zeroCounts(): StageCounts {
  return { read: 0, staged: 0, updated: 0, skipped: 0, quarantined: 0, ignored: 0 };
}

/**
 * Validates a page of raw records and writes its new turns, marks and quarantined records in one atomic batch,
 * deduplicating against the per-chat marks (DESIGN §1): what a re-read shows wins for every chat not yet sent — a
 * staged copy is replaced when the new copy says anything else (edits keep `lastUpdatedAt`; an older
 * `lastUpdatedAt` is a stale copy and ignored), a chat hidden since is unstaged, a hidden chat now shown (a
 * completed agent chat) is staged; a copy of a chat frozen for delivery or sent is ignored.
 */
export function stagePage(state: State, records: readonly unknown[], options: StageOptions): Promise<StageCounts> {
  return state.exclusive(() => stageExclusively(state, records, options));
}

async function stageExclusively(state: State, records: readonly unknown[], options: StageOptions): Promise<StageCounts> {
  const counts = { ...zeroCounts(), read: records.length };
  const normalised = records.map((raw) => ({ raw, result: normaliseRecord(raw, options.realNowMs) }));
  const ids = [...new Set(normalised.map(({ result }) => (result.kind === 'turn' ? result.turn.id : result.id)).filter((id) => id !== null))];
  const marks = new Map<number, ChatMark | undefined>(zip(ids, await state.chats.getMany(ids.map(padId))));
  const stagedKeys = [...marks.values()].flatMap((mark) => (mark?.s === 'staged' ? [mark.k] : []));
  const stagedTurns = new Map<string, Turn | undefined>(zip(stagedKeys, await state.turns.getMany(stagedKeys)));
  const quarantineKeys = normalised.map(({ raw, result }) => (result.kind === 'bad' ? quarantineKey(result.id, raw) : undefined));
  const known = await state.quarantine.getMany(quarantineKeys.filter((key) => key !== undefined));
  const knownQuarantine = new Set(quarantineKeys.filter((key) => key !== undefined).filter((_, i) => known[i] !== undefined));
  const batch = state.db.batch();
  const at = new Date(options.realNowMs).toISOString();

  normalised.forEach(({ raw, result }, index) => {
    if (result.kind === 'bad') {
      const key = quarantineKeys[index] as string;
      if (knownQuarantine.has(key)) return void counts.ignored++;
      knownQuarantine.add(key);
      batch.put(key, { id: result.id, reason: result.reason, raw, at }, { sublevel: state.quarantine });
      if (result.id !== null && marks.get(result.id) === undefined) setMark(result.id, { s: 'bad' });
      return void counts.quarantined++;
    }
    const turn = result.turn;
    const mark = marks.get(turn.id);
    const hidden = !turn.include && !options.includeHidden;
    if (mark === undefined || mark.s === 'bad' || mark.s === 'hidden') {
      if (hidden) {
        if (mark?.s === 'hidden') return void counts.ignored++;
        setMark(turn.id, { s: 'hidden' });
        return void counts.skipped++;
      }
      stage(turn);
      return void counts.staged++;
    }
    if (mark.s !== 'staged' || turn.updatedAt < mark.u) return void counts.ignored++;
    const staged = stagedTurns.get(mark.k);
    if (staged !== undefined && turnKey(turn) === mark.k && sameTurn(staged, turn)) return void counts.ignored++;
    batch.del(mark.k, { sublevel: state.turns });
    stagedTurns.delete(mark.k);
    if (hidden) setMark(turn.id, { s: 'hidden' });
    else stage(turn);
    counts.updated++;
  });
  await batch.write();
  return counts;

  function stage(turn: Turn): void {
    const key = turnKey(turn);
    stagedTurns.set(key, turn);
    batch.put(key, turn, { sublevel: state.turns });
    setMark(turn.id, { s: 'staged', k: key, u: turn.updatedAt });
  }

  function setMark(id: number, mark: ChatMark): void {
    marks.set(id, mark);
    batch.put(padId(id), mark, { sublevel: state.chats });
  }
}

// True when two copies of a chat say the same (every field a conversation is built from).
function sameTurn(a: Turn, b: Turn): boolean {
  return (
    a.prompt === b.prompt &&
    a.reply === b.reply &&
    a.include === b.include &&
    a.createdAt === b.createdAt &&
    a.updatedAt === b.updatedAt &&
    a.user === b.user &&
    a.userId === b.userId &&
    a.apiSessionId === b.apiSessionId &&
    a.workspaceId === b.workspaceId &&
    a.workspaceName === b.workspaceName &&
    a.workspaceSlug === b.workspaceSlug &&
    a.threadId === b.threadId
  );
}

// Same bad record, same key: a re-read page never quarantines it twice.
function quarantineKey(id: number | null, raw: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(raw) ?? String(raw)).digest('hex').slice(0, 16);
  return id === null ? `x:${digest}` : `${padId(id)}:${digest}`;
}

function zip<A, B>(as: readonly A[], bs: readonly B[]): [A, B][] {
  return as.map((a, i) => [a, bs[i] as B]);
}
