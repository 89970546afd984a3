import { counted } from '../log/counted.js';
import type { Logger } from 'pino';
import { conversationIdOf } from '../conversations/conversation-id.js';
import { buildConversation, type PreviousConversation } from '../conversations/conversation.js';
import { rollingGap } from '../conversations/rolling-gap.js';
import { historyOf, historyKey } from '../domain/chat-history.js';
import { bodyOf } from '../delivery/frozen-body.js';
import type { State, Superseded } from '../store/state.js';
import type { Replayed } from '../status/run-summary.js';

/** What a `--redeliver` replay needs besides the state. */
export interface ReplayOptions {
  /** `--backfill` (ms): the replay regroups the chats created since. */
  readonly sinceMs: number;
  readonly gapMs: number;
  /** Keep reasoning blocks in assistant messages (KEEP_REASONING; turnMessages). @default false */
  readonly keepReasoning?: boolean;
  /** The caps (DESIGN §2 "Caps"), 0 = off. */
  readonly maxSpanMs: number;
  readonly maxBytes: number;
  /** The instant that decides which conversations are closed. */
  readonly nowMs: number;
  /** This replay's Idempotency-Key suffix (new for every replay). */
  readonly replay: string;
  readonly log: Logger;
  /** Told after each regrouped conversation. */
  readonly onConversation?: (closed: boolean) => void;
}

/**
 * The `--redeliver` phase (DESIGN §5): regroups the chats the replay collected (State.replayTurns) by the rolling gap as
 * if none had been sent, freezes each closed conversation with the replay's key suffix (same chats, same id) and
 * re-stages each open one; then empties the replay's chats. Runs after paging and before delivery.
 */
export async function replayConversations(state: State, options: ReplayOptions): Promise<Replayed> {
  const result: Replayed = { frozen: 0, reopened: 0, superseded: 0 };
  const written = { keepReasoning: options.keepReasoning ?? false };
  let history: string | undefined;
  let previous: PreviousConversation | undefined; // the history's latest conversation frozen by this replay
  for await (const run of rollingGap(state.replayTurns(), options)) {
    const first = run.turns[0];
    if (first === undefined) continue;
    const key = historyKey(historyOf(first));
    if (key !== history) [history, previous] = [key, undefined];
    const replaced = await state.replacedBy(run.turns, conversationIdOf(run.turns), options.sinceMs);
    result.superseded += replaced.conversations.size;
    // What it replaces is forgotten, but for conversations still in the outbox from before DATE: kept with their messages.
    const superseded: Superseded = { conversations: replaced.conversations, kept: replaced.waiting.map((frozen) => bodyOf(frozen, written)) };
    if (!run.closed) {
      await state.reopenReplayed(run.turns, superseded, { sinceMs: options.sinceMs });
      result.reopened++;
      options.onConversation?.(false);
      continue;
    }
    // The previous conversation: the replay's own previous one of the history, else one sent before DATE's cut that this replay does not replace.
    const before = previous === undefined ? await state.latestSentBefore(key, first.createdAt) : undefined;
    const earlier = previous ?? (before !== undefined && !replaced.conversations.has(before.id) ? before : undefined);
    const conversation = buildConversation(run.turns, earlier, options.gapMs, written);
    await state.freezeReplayed(conversation, run.turns, superseded, { replay: options.replay, sinceMs: options.sinceMs, now: new Date() });
    previous = { id: conversation.id, endedAt: Date.parse(conversation.endedAt) };
    result.frozen++;
    options.onConversation?.(true);
  }
  await state.clearReplay();
  options.log.info({ ...result, replay: options.replay }, `replay regrouped the chats since ${new Date(options.sinceMs).toISOString()}: ${counted(result.frozen, 'conversation')} to send again, ${result.reopened} still open`);
  return result;
}

/** A fresh Idempotency-Key suffix for a replay started at `started`: `replay-20261124T090000123Z`. */
export function replaySuffix(started: Date): string {
  return `replay-${started.toISOString().replace(/[-:.]/g, '')}`;
}
