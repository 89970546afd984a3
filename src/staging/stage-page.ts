import { createHash } from 'node:crypto';
import { chatIdentity } from '../domain/chat-identity.js';
import type { PageRecord, IdGap } from '../domain/page-record.js';
import type { Turn } from '../domain/turn.js';
import { zeroCounts, type StageCounts, type StageFindings } from '../domain/night-counts.js';
import { chatDigest, goneDigest } from '../domain/chat-digest.js';
import { turnKey } from '../store/keys.js';
import type { ChatMark } from '../store/records.js';
import { findReusedIds, sameStagedChat } from './reused-ids.js';
import type { State } from '../store/state.js';
import { ChangeFinder } from '../retractions/change-finder.js';
import { padId } from '../domain/fixed-width.js';

/** How to stage. */
export interface StageOptions {
  readonly includeHidden: boolean;
  /** The real clock (ms): when this page's bad records were quarantined. */
  readonly realNowMs: number;
  /** Ids the page proves absent (idGaps of the whole page, API only): staged chats among them are unstaged. @default none */
  readonly absentBetween?: readonly IdGap[];
  /** Collects the chat ids behind `staged` (never seen before) and the after-send counts. */
  readonly findings?: StageFindings;
  /** RETRACT_WEBHOOK_URL is set: changes to sent chats are kept to be told (retractions/change-finder.ts), not only counted. @default false */
  readonly retractions?: boolean;
}

/**
 * Writes a page's new turns, marks and bad records (validated by the source: normalisePage) in one atomic batch,
 * deduplicating against the per-chat marks (DESIGN §1): what a re-read shows wins for every chat not yet sent — a
 * staged copy is replaced when the new copy says anything else (edits keep `lastUpdatedAt`; an older
 * `lastUpdatedAt` is a stale copy and ignored), a chat hidden since is unstaged, a hidden chat now shown (a
 * completed agent chat) is staged, a staged chat the page proves gone (`absentBetween`) is unstaged; a copy of a
 * chat frozen for delivery or sent is never restaged, but a sent one that now says something else, or is hidden or
 * gone, is counted (once per change: its mark keeps the digest of what it says now). A copy whose identity differs
 * from the chat known under its id (chat-identity.ts) is another chat under a reused id: staged as new, never taken
 * for a change after sending; a staged chat it replaces is gone.
 * With `retractions`, a change to a sent chat is kept to be told as a retraction instead (DESIGN §3b;
 * retractions/change-finder.ts: the mark moves once the retraction is sent).
 */
export function stagePage(state: State, records: readonly PageRecord[], options: StageOptions): Promise<StageCounts> {
  return state.exclusive(() => stageExclusively(state, records, options));
}

async function stageExclusively(state: State, records: readonly PageRecord[], options: StageOptions): Promise<StageCounts> {
  const counts = { ...zeroCounts(), read: records.length };
  const ids = [...new Set(records.map((result) => (result.kind === 'turn' ? result.turn.id : result.id)).filter((id) => id !== null))];
  const marks = new Map<number, ChatMark | undefined>(zip(ids, await state.chats.getMany(ids.map(padId))));
  const stagedKeys = [...marks.values()].flatMap((mark) => (mark?.s === 'staged' ? [mark.k] : []));
  const stagedTurns = new Map<string, Turn | undefined>(zip(stagedKeys, await state.turns.getMany(stagedKeys)));
  const quarantineKeys = records.map((result) => (result.kind === 'bad' ? quarantineKey(result.id, result.raw) : undefined));
  const known = await state.quarantine.getMany(quarantineKeys.filter((key) => key !== undefined));
  const knownQuarantine = new Set(quarantineKeys.filter((key) => key !== undefined).filter((_, i) => known[i] !== undefined));
  const pageTurns = records.flatMap((result) => (result.kind === 'turn' ? [result.turn] : []));
  const { reused, learned } = await findReusedIds(state, pageTurns, marks);
  const turns = pageTurns.filter((turn) => !reused.has(turn.id)); // a chat under a reused id is new, never a change
  const sentDiffers = await sentChanges(state, turns, marks);
  const batch = state.db.batch();
  const at = new Date(options.realNowMs).toISOString();
  const changes = options.retractions === true ? await ChangeFinder.load(state, turns, marks, at) : undefined;
  const findings = options.findings;

  records.forEach((result, index) => {
    if (result.kind === 'bad') {
      const key = quarantineKeys[index] as string;
      if (knownQuarantine.has(key)) return void counts.ignored++;
      knownQuarantine.add(key);
      batch.put(key, { id: result.id, reason: result.reason, raw: result.raw, at }, { sublevel: state.quarantine });
      if (result.id !== null && marks.get(result.id) === undefined) setMark(result.id, { s: 'bad' });
      return void counts.quarantined++;
    }
    const turn = result.turn;
    const mark = marks.get(turn.id);
    const hidden = !turn.include && !options.includeHidden;
    if (mark === undefined || mark.s === 'bad' || mark.s === 'hidden' || mark.s === 'gone') {
      if (hidden) {
        if (mark?.s === 'hidden') return void counts.ignored++;
        setMark(turn.id, { s: 'hidden' });
        return void counts.skipped++;
      }
      stage(turn, mark?.s === 'hidden' && mark.r !== undefined ? chatIdentity(turn) : undefined);
      if (mark === undefined) findings?.missed.push(turn.id);
      return void counts.staged++;
    }
    if (mark.s === 'conv' && reused.has(turn.id)) return void stageReused(turn, reused.get(turn.id) as string);
    if (mark.s === 'conv' && changes !== undefined && mark.h !== undefined) {
      const i = mark.i ?? learned.get(turn.id);
      const known = i === mark.i ? mark : ({ ...mark, i } as typeof mark);
      if (known !== mark) setMark(turn.id, known);
      count(changes.seen(turn, known, batch), turn.id);
      return void counts.ignored++;
    }
    if (mark.s === 'conv') {
      const change = sentDiffers.get(turn.id);
      const i = mark.i ?? learned.get(turn.id);
      if (change === undefined && i !== mark.i) setMark(turn.id, { ...mark, i } as ChatMark);
      if (change !== undefined) {
        setMark(turn.id, { s: 'conv', c: mark.c, h: change.digest, ...(i === undefined ? {} : { i }) });
        if (change.sent && mark.h !== undefined) {
          const kind = turn.include ? 'changedAfterSend' : 'hiddenAfterSend';
          counts[kind]++;
          findings?.[kind].push(turn.id);
        }
      }
      return void counts.ignored++;
    }
    if (mark.s !== 'staged') return void counts.ignored++;
    const staged = stagedTurns.get(mark.k);
    if (staged !== undefined && !sameStagedChat(staged, turn)) {
      // A staged, unsent chat whose id now carries another identity is gone, and the new chat is staged in its place.
      batch.del(mark.k, { sublevel: state.turns });
      stagedTurns.delete(mark.k);
      counts.gone++;
      return void stageReused(turn, staged.reused === undefined ? undefined : chatIdentity(turn));
    }
    if (turn.updatedAt < mark.u) return void counts.ignored++;
    if (staged !== undefined && turnKey(turn) === mark.k && sameTurn(staged, turn)) return void counts.ignored++;
    batch.del(mark.k, { sublevel: state.turns });
    stagedTurns.delete(mark.k);
    if (hidden) setMark(turn.id, { s: 'hidden', ...(staged?.reused === undefined ? {} : { r: staged.reused }) });
    else stage(turn, staged?.reused);
    counts.updated++;
  });
  for (const gap of options.absentBetween ?? []) {
    for await (const [key, mark] of state.chats.iterator({ gt: padId(gap.below), lt: padId(gap.above) })) {
      const id = Number(key);
      if (mark.s === 'staged') {
        batch.del(mark.k, { sublevel: state.turns });
        setMark(id, { s: 'gone' });
        counts.gone++;
      } else if (mark.s === 'conv' && changes !== undefined) {
        if (await changes.gone(id, mark, batch)) count('deletedAfterSend', id);
      } else if (mark.s === 'conv' && mark.h !== goneDigest && (await state.sent.get(mark.c)) !== undefined) {
        setMark(id, { ...mark, h: goneDigest });
        counts.deletedAfterSend++;
        findings?.deletedAfterSend.push(id);
      }
    }
  }
  await batch.write();
  return counts;

  // `reused`: the identity digest when the chat came under an id a frozen chat had (its conversation's id names it apart).
  function stage(incoming: Turn, reused?: string): void {
    const { reused: _, ...copy } = incoming;
    const turn: Turn = reused === undefined ? copy : { ...copy, reused };
    const key = turnKey(turn);
    stagedTurns.set(key, turn);
    batch.put(key, turn, { sublevel: state.turns });
    setMark(turn.id, { s: 'staged', k: key, u: turn.updatedAt });
  }

  // Another chat under a reused id (DESIGN §1 "A chat's identity"): new, staged (or skipped when hidden), counted.
  function stageReused(turn: Turn, reused: string | undefined): void {
    counts.reusedIds++;
    findings?.reusedIds.push(turn.id);
    if (turn.include || options.includeHidden) findings?.missed.push(turn.id); // a chat never seen: `reconcile` stages it
    if (!turn.include && !options.includeHidden) {
      setMark(turn.id, reused === undefined ? { s: 'hidden' } : { s: 'hidden', r: reused });
      counts.skipped++;
      return;
    }
    stage(turn, reused);
    counts.staged++;
  }

  function count(kind: 'changedAfterSend' | 'hiddenAfterSend' | 'deletedAfterSend' | undefined, id: number): void {
    if (kind === undefined) return;
    counts[kind]++;
    findings?.[kind].push(id);
  }

  function setMark(id: number, mark: ChatMark): void {
    marks.set(id, mark);
    batch.put(padId(id), mark, { sublevel: state.chats });
  }
}

// The chats frozen in a conversation whose copy says something else than their mark's digest (or whose mark has none
// yet: written before digests were kept), with the new digest and whether their conversation was sent.
async function sentChanges(state: State, turns: readonly Turn[], marks: ReadonlyMap<number, ChatMark | undefined>): Promise<Map<number, { digest: string; sent: boolean }>> {
  const changed: { id: number; digest: string; conversation: string; hadDigest: boolean }[] = [];
  for (const turn of turns) {
    const mark = marks.get(turn.id);
    if (mark?.s !== 'conv') continue;
    const digest = chatDigest(turn);
    if (mark.h !== digest) changed.push({ id: turn.id, digest, conversation: mark.c, hadDigest: mark.h !== undefined });
  }
  const result = new Map<number, { digest: string; sent: boolean }>();
  if (changed.length === 0) return result;
  const sent = await state.sent.getMany(changed.map((c) => c.conversation));
  changed.forEach((c, i) => {
    const wasSent = sent[i] !== undefined;
    // A chat of a conversation still in the outbox keeps the digest it was frozen with: it is sent as frozen.
    if (!wasSent && c.hadDigest) return;
    result.set(c.id, { digest: c.digest, sent: wasSent });
  });
  return result;
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
