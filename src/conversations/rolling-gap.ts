import type { Turn } from '../source/turn.js';

/** Turns of one thread whose consecutive gaps are all within the window; closed once `now − last > gap`. */
export interface TurnRun {
  readonly turns: readonly Turn[];
  readonly closed: boolean;
}

/** What the rolling gap needs to know: the window and the instant that decides what is closed. */
export interface RollingGapOptions {
  readonly gapMs: number;
  readonly nowMs: number;
}

/**
 * Cuts turns sorted by (workspace, thread, createdAt, id) into conversations (DESIGN §2): a turn joins the
 * current one when it is in the same thread and at most `gapMs` after the previous turn. Holds one conversation
 * at a time, so memory does not grow with the input.
 */
export async function* rollingGap(turns: AsyncIterable<Turn> | Iterable<Turn>, options: RollingGapOptions): AsyncGenerator<TurnRun> {
  let current: Turn[] = [];
  for await (const turn of turns) {
    const previous = current.at(-1);
    if (previous !== undefined && !joins(previous, turn, options.gapMs)) {
      yield finish(current, options);
      current = [];
    }
    current.push(turn);
  }
  if (current.length > 0) yield finish(current, options);
}

/** True when `turn` continues the conversation whose last turn is `previous` (a gap equal to the window joins). */
export function joins(previous: Turn, turn: Turn, gapMs: number): boolean {
  return previous.workspaceId === turn.workspaceId && previous.threadId === turn.threadId && turn.createdAt - previous.createdAt <= gapMs;
}

/**
 * The `continues` field (DESIGN §2): the thread's last sent conversation when it ended within `gapMs` before this
 * one (from `startedAt` to `endedAt`) starts, or when a late turn falls inside it; never one that starts after
 * this one ends (a backfill of older history).
 */
export function continuesFrom(lastSent: { id: string; startedAt?: number; endedAt: number } | undefined, startedAt: number, endedAt: number, gapMs: number): string | null {
  if (lastSent === undefined) return null;
  return startedAt - lastSent.endedAt <= gapMs && endedAt >= (lastSent.startedAt ?? lastSent.endedAt) ? lastSent.id : null;
}

function finish(turns: Turn[], { gapMs, nowMs }: RollingGapOptions): TurnRun {
  const last = turns.at(-1) as Turn;
  return { turns, closed: nowMs - last.createdAt > gapMs };
}
