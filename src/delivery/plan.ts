import { historyOf, historyKey } from '../domain/chat-history.js';
import { conversationIdOf } from '../conversations/conversation-id.js';
import { rollingGap } from '../conversations/rolling-gap.js';
import type { Turn } from '../domain/turn.js';
import type { OpenTooLong } from '../domain/night-counts.js';
import { planKey, turnKey } from '../store/keys.js';
import { frozenTurnKeys, historyKeyOf, outboxEntries } from '../store/outbox.js';
import type { OutboxStatus, PlanItem } from '../store/records.js';
import { inShortReads } from '../store/short-reads.js';
import type { State } from '../store/state.js';

/** What to plan: the outbox entries to send again, and whether to form new conversations from the staged turns. */
export interface PlanOptions {
  readonly gapMs: number;
  /** MAX_CONVERSATION_SPAN (ms), 0 = off (DESIGN §2 "Caps"). @default 0 */
  readonly maxSpanMs?: number;
  /** MAX_CONVERSATION_BYTES, 0 = off. @default 0 */
  readonly maxBytes?: number;
  /** Keep reasoning blocks (KEEP_REASONING): the byte cap measures the body as it is written. @default false */
  readonly keepReasoning?: boolean;
  /** The instant that decides which conversations are closed (DESIGN §2). */
  readonly nowMs: number;
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
}

// The span an open conversation is judged by when MAX_CONVERSATION_SPAN is 0 (off): its default.
const defaultSpanMs = 24 * 3_600_000;

// Plan entries written per batch.
const planChunk = 512;

/**
 * Writes the night's delivery plan (DESIGN §3 "Order") to the `plan` sublevel, keyed by start time then id: the
 * outbox entries in `retryStatuses` (frozen by an earlier run: a crash, dead letters) and every closed conversation
 * among the staged turns, cut by the rolling gap per chat history (DESIGN §2), with its turns' keys. Nothing is
 * frozen yet: a conversation is frozen just before its POST, once the one before it in its history has its outcome.
 * Runs only after paging (DESIGN §2: nothing is delivered while paging). Memory holds one conversation at a time.
 */
export async function planDeliveries(state: State, options: PlanOptions): Promise<Planned> {
  const planned: Planned = { planned: 0, open: 0, openTurns: 0, capped: 0, openTooLong: null };
  const spanMs = options.maxSpanMs !== undefined && options.maxSpanMs > 0 ? options.maxSpanMs : defaultSpanMs;
  await state.plan.clear();
  let batch = state.plan.batch();
  const put = async (startedAtMs: number, id: string, item: PlanItem): Promise<void> => {
    batch.put(planKey(startedAtMs, id), item);
    if (++planned.planned % planChunk !== 0) return;
    await batch.write();
    batch = state.plan.batch();
  };
  for await (const entry of outboxEntries(state, options.retryStatuses)) {
    await put(Date.parse(entry.conversation.startedAt), entry.conversation.id, { history: historyKeyOf(entry.conversation) });
  }
  if (options.newConversations) {
    // Frozen conversations' turns stay staged until their 2xx: they belong to no new conversation.
    const frozenKeys = await frozenTurnKeys(state);
    for await (const run of rollingGap(stagedTurns(state, frozenKeys), options)) {
      const first = run.turns[0] as Turn;
      if (!run.closed) {
        planned.open++;
        planned.openTurns += run.turns.length;
        const since = options.nowMs - first.createdAt;
        if (since > spanMs && (planned.openTooLong === null || first.createdAt < Date.parse(planned.openTooLong.startedAt))) {
          planned.openTooLong = { history: historyKey(historyOf(first)), startedAt: new Date(first.createdAt).toISOString(), firstChatId: first.id, chats: run.turns.length, spanMs };
        }
        continue;
      }
      if (run.cut !== undefined) planned.capped++;
      await put(first.createdAt, conversationIdOf(run.turns), { history: historyKey(historyOf(first)), turnKeys: run.turns.map(turnKey) });
    }
  }
  await batch.write();
  return planned;
}

/** The plan in delivery order, without holding a snapshot while conversations are sent (see inShortReads). */
export async function* plannedConversations(state: State): AsyncGenerator<{ readonly id: string; readonly item: PlanItem }> {
  for await (const [key, item] of inShortReads(state.plan)) yield { id: key.slice(key.indexOf(':') + 1), item };
}

// The staged turns in key order (by history, then time), but for those of frozen conversations.
async function* stagedTurns(state: State, frozenKeys: ReadonlySet<string>): AsyncGenerator<Turn> {
  for await (const [key, turn] of inShortReads(state.turns)) if (!frozenKeys.has(key)) yield turn;
}
