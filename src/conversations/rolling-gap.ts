import type { Turn } from '../domain/turn.js';
import { sameHistory } from '../domain/chat-history.js';
import { bodyBytes, turnBytes } from './body-size.js';
import type { MessageOptions } from './turn-messages.js';

/** Turns of one chat history whose consecutive gaps are all within the window; closed once `now − last > gap`, or once a cap cut it. */
export interface TurnRun {
  readonly turns: readonly Turn[];
  readonly closed: boolean;
  /** The cap that ended this part (the next turn of its history opened the next part), if one did. */
  readonly cut?: 'span' | 'bytes';
}

/** What the rolling gap needs to know: the window, the caps and the instant that decides what is closed. */
export interface RollingGapOptions extends MessageOptions {
  readonly gapMs: number;
  readonly nowMs: number;
  /** MAX_CONVERSATION_SPAN (ms): a turn further than this from its conversation's first turn opens the next part. 0 = off. @default 0 */
  readonly maxSpanMs?: number;
  /** MAX_CONVERSATION_BYTES: a turn that would make the JSON body larger opens the next part. 0 = off. @default 0 */
  readonly maxBytes?: number;
}

/**
 * Cuts turns sorted by (chat history, createdAt, id) into conversations (DESIGN §2): a turn joins the current one
 * when it is in the same chat history, at most `gapMs` after the previous turn, and joining keeps the conversation
 * within the caps (`maxSpanMs` from its first turn, `maxBytes` of JSON body: body-size.ts); a single turn larger than
 * `maxBytes` is a conversation of its own. Rules on the sorted history only, so any split into nights gives the
 * same parts. Holds one conversation at a time, so memory does not grow with the input.
 */
export async function* rollingGap(turns: AsyncIterable<Turn> | Iterable<Turn>, options: RollingGapOptions): AsyncGenerator<TurnRun> {
  const maxSpanMs = options.maxSpanMs ?? 0;
  const maxBytes = options.maxBytes ?? 0;
  let current: Turn[] = [];
  let messagesBytes = 0;
  for await (const turn of turns) {
    const previous = current.at(-1);
    const bytes = maxBytes > 0 ? turnBytes(turn, options) : 0;
    if (previous !== undefined) {
      const first = current[0] as Turn;
      const cut = !joins(previous, turn, options.gapMs)
        ? 'gap'
        : maxSpanMs > 0 && turn.createdAt - first.createdAt > maxSpanMs
          ? 'span'
          : maxBytes > 0 && bodyBytes(first, turn, messagesBytes + bytes, current.length + 1) > maxBytes
            ? 'bytes'
            : undefined;
      if (cut !== undefined) {
        yield cut === 'gap' ? finish(current, options) : { turns: current, closed: true, cut };
        [current, messagesBytes] = [[], 0];
      }
    }
    current.push(turn);
    messagesBytes += bytes;
  }
  if (current.length > 0) yield finish(current, options);
}

/** True when `turn` continues the conversation whose last turn is `previous` (a gap equal to the window joins). */
function joins(previous: Turn, turn: Turn, gapMs: number): boolean {
  return sameHistory(previous, turn) && turn.createdAt - previous.createdAt <= gapMs;
}

function finish(turns: Turn[], { gapMs, nowMs }: RollingGapOptions): TurnRun {
  const last = turns.at(-1) as Turn;
  return { turns, closed: nowMs - last.createdAt > gapMs };
}
