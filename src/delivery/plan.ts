import { historyKey, historyOf, historyOfBody } from '../domain/chat-history.js';
import { conversationIdOf } from '../conversations/conversation-id.js';
import type { RollingGapOptions } from '../conversations/rolling-gap.js';
import type { Turn } from '../domain/turn.js';
import type { OpenTooLong } from '../domain/night-counts.js';
import type { OutboxStatus } from '../store/records.js';
import type { PlanEntry, State } from '../store/state.js';
import { lowestOpenChat } from './lowest-open-chat.js';
import { stagedConversations } from './staged-conversations.js';

/**
 * What to plan: the rolling gap's window, caps and `now` (DESIGN §2), the outbox entries to send again, and whether to
 * form new conversations from the staged turns.
 */
export interface PlanOptions extends RollingGapOptions {
  readonly retryStatuses: readonly OutboxStatus[];
  readonly newConversations: boolean;
}

/** What planning found besides the plan: the conversations left open, and their turns. */
export interface Planned {
  planned: number;
  open: number;
  openTurns: number;
  /** Closed conversations a cap cut (the next part continues them). */
  capped: number;
  /** The open conversation that has been open the longest, when longer than the span allows (24 h while the cap is off). */
  openTooLong: OpenTooLong | null;
  /** The lowest chat id of the open conversations (lowestOpenChatId's answer at the plan's `now`), or undefined when none is open. */
  lowestOpenChatId: number | undefined;
}

// The span an open conversation is judged by when MAX_CONVERSATION_SPAN is 0 (off): its default.
const defaultSpanMs = 24 * 3_600_000;

/**
 * Writes the night's delivery plan (DESIGN §3 "Order": State.writePlan keeps it by start time, then id): the outbox
 * entries in `retryStatuses` (frozen by an earlier run: a crash, dead letters) and every closed conversation among
 * the staged turns, cut by the rolling gap and the caps per chat history (DESIGN §2: stagedConversations), with its
 * turns. Nothing is frozen yet: a conversation is frozen just before its POST, once the one before it in its history
 * has its outcome. Runs only after paging (DESIGN §2: nothing is delivered while paging). Memory holds one
 * conversation at a time.
 */
export async function planDeliveries(state: State, options: PlanOptions): Promise<Planned> {
  const planned: Planned = { planned: 0, open: 0, openTurns: 0, capped: 0, openTooLong: null, lowestOpenChatId: undefined };
  planned.planned = await state.writePlan(planEntries(state, options, planned));
  return planned;
}

// The plan's entries, outbox first, then the closed conversations of the staged turns; counts the open ones and the
// capped ones in `found` on the way.
async function* planEntries(state: State, options: PlanOptions, found: Planned): AsyncGenerator<PlanEntry> {
  for await (const { conversation } of state.outboxEntries(options.retryStatuses)) {
    yield { id: conversation.id, startedAtMs: Date.parse(conversation.startedAt), history: historyKey(historyOfBody(conversation)) };
  }
  if (!options.newConversations) return;
  const spanMs = options.maxSpanMs !== undefined && options.maxSpanMs > 0 ? options.maxSpanMs : defaultSpanMs;
  for await (const run of stagedConversations(state, options)) {
    const first = run.turns[0] as Turn;
    if (!run.closed) {
      found.lowestOpenChatId = lowestOpenChat(found.lowestOpenChatId, run);
      found.open++;
      found.openTurns += run.turns.length;
      const since = options.nowMs - first.createdAt;
      if (since > spanMs && (found.openTooLong === null || first.createdAt < Date.parse(found.openTooLong.startedAt))) {
        found.openTooLong = { history: historyKey(historyOf(first)), startedAt: new Date(first.createdAt).toISOString(), firstChatId: first.id, chats: run.turns.length, spanMs };
      }
      continue;
    }
    if (run.cut !== undefined) found.capped++;
    yield { id: conversationIdOf(run.turns), startedAtMs: first.createdAt, history: historyKey(historyOf(first)), turns: run.turns };
  }
}
