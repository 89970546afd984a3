import type { Turn } from '../domain/turn.js';
import { sameHistory } from '../domain/chat-history.js';

/** Turns of one chat history whose consecutive gaps are all within the window; closed once `now − last > gap`. */
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
 * Cuts turns sorted by (chat history, createdAt, id) into conversations (DESIGN §2): a turn joins the current one
 * when it is in the same chat history and at most `gapMs` after the previous turn. Holds one conversation
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
  return sameHistory(previous, turn) && turn.createdAt - previous.createdAt <= gapMs;
}

function finish(turns: Turn[], { gapMs, nowMs }: RollingGapOptions): TurnRun {
  const last = turns.at(-1) as Turn;
  return { turns, closed: nowMs - last.createdAt > gapMs };
}
