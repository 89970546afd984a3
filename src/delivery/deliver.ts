import type { Logger } from 'pino';
import { buildConversation } from '../conversations/conversation.js';
import type { MessageOptions } from '../conversations/turn-messages.js';
import type { Conversation } from '../domain/conversation.js';
import { killPoint } from '../kill-point.js';
import type { Turn } from '../domain/turn.js';
import type { DeliveryCounts } from '../domain/night-counts.js';
import type { OutboxEntry, OutboxStatus } from '../store/records.js';
import type { PlannedConversation, State } from '../store/state.js';
import { Breaker } from './breaker.js';
import { bodyOf } from './frozen-body.js';
import { inHistoryOrder } from './in-history-order.js';
import { planDeliveries } from './plan.js';
import type { SendConversation } from './webhook-sender.js';

/** What a delivery did (the summary's counts), and what it left open. */
export interface Delivery {
  readonly counts: DeliveryCounts;
  /**
   * The lowest chat id of the conversations left open (its plan's cut at `nowMs`; delivery sends only closed ones), or
   * undefined when none is: what the night records as `openFrom` (DESIGN §1 "Open") without cutting the turns again.
   */
  readonly lowestOpenChatId: number | undefined;
}

/** What delivery needs besides the state. */
export interface DeliverOptions {
  readonly send: SendConversation;
  readonly gapMs: number;
  /** Keep reasoning blocks in assistant messages (KEEP_REASONING; turnMessages). @default false */
  readonly keepReasoning?: boolean;
  /** MAX_CONVERSATION_SPAN (ms), 0 = off. @default 0 */
  readonly maxSpanMs?: number;
  /** MAX_CONVERSATION_BYTES, 0 = off. @default 0 */
  readonly maxBytes?: number;
  /** The instant that decides which conversations are closed. */
  readonly nowMs: number;
  /** Conversations POSTed at once, each of a different chat history. */
  readonly concurrency: number;
  /** Outbox statuses sent again, in order among the new conversations. @default ['pending', 'dead'] */
  readonly retryStatuses?: readonly OutboxStatus[];
  /** Also form and send the closed conversations among the staged turns (false: the outbox only, `dead-letters retry`). @default true */
  readonly newConversations?: boolean;
  /** Told after each delivery (progress, checkpoints). */
  readonly onDelivered?: (ok: boolean) => void;
  readonly log: Logger;
}

/**
 * The night's delivery (DESIGN §3–§4), once paging is done: plans every closed conversation and the outbox left by
 * earlier runs, then sends them oldest first (start time, then id), each chat history strictly in order — a
 * history's next conversation is frozen and POSTed only once the one before it has its outcome, so its `continues`
 * is read from what was really sent — with `concurrency` histories at a time. Each conversation is frozen in the
 * outbox before its first POST and marked sent after its 2xx; a dead or parked one does not hold its history back.
 * After `webhookDownAfter` failures in a row nothing more starts and the rest waits for the next run; so it does at
 * once when the webhook is unreachable before it has answered anything (the sender's `unreachable`): the
 * conversations tried stay in the outbox as they were, neither dead nor parked. A failed conversation's `attempts`
 * grows by the POSTs made.
 */
export async function deliver(state: State, options: DeliverOptions): Promise<Delivery> {
  const caps = { maxSpanMs: options.maxSpanMs ?? 0, maxBytes: options.maxBytes ?? 0 };
  const { planned, open, openTurns, capped, openTooLong, lowestOpenChatId } = await planDeliveries(state, { gapMs: options.gapMs, ...caps, keepReasoning: options.keepReasoning ?? false, nowMs: options.nowMs, retryStatuses: options.retryStatuses ?? ['pending', 'dead'], newConversations: options.newConversations ?? true });
  const result: DeliveryCounts = { sent: 0, resent: 0, dead: 0, parked: 0, redirected: 0, open, openTurns, capped, openTooLong, waiting: 0, webhookDown: false, unreachable: false, lastError: null };
  let tried = 0;
  let untouched = 0; // tried, but the webhook was unreachable: they wait as they were
  const breaker = new Breaker();
  const deliverOne = async (planned: PlannedConversation): Promise<void> => {
    tried++;
    const written = { keepReasoning: options.keepReasoning ?? false };
    const frozen = planned.staged ? await freezeNow(state, planned, options.gapMs, written) : await frozenEarlier(state, planned.id, written);
    if (frozen === undefined) return;
    const { entry, conversation } = frozen;
    const key = entry.replay === undefined ? conversation.id : `${conversation.id}.${entry.replay}`;
    const outcome = await options.send(conversation, key);
    if (outcome.ok) {
      breaker.succeeded();
      killPoint('posted');
      await state.markSent(entry, conversation, new Date());
      killPoint('marked-sent');
      result.sent++;
      if (!planned.staged) result.resent++;
      options.onDelivered?.(true);
      return;
    }
    result.lastError = outcome.error;
    if (outcome.unreachable === true) {
      untouched++;
      if (!result.unreachable) options.log.error({ code: 'MC_WEBHOOK_UNREACHABLE', conversation: conversation.id, error: outcome.error }, 'nothing answers at WEBHOOK_URL: delivery stops now, every conversation waits for the next run');
      result.unreachable = true;
      return;
    }
    const status = outcome.permanent ? 'parked' : 'dead';
    await state.markFailed(entry, status, outcome.error, outcome.attempts ?? 1, new Date());
    result[status]++;
    if (outcome.redirected === true) result.redirected++;
    options.onDelivered?.(false);
    const what = outcome.redirected === true ? 'webhook redirected a conversation (not followed): parked' : outcome.permanent ? 'webhook refused a conversation: parked' : 'delivery failed after retries: dead letter';
    options.log.warn({ conversation: conversation.id, status, attempts: outcome.attempts, error: outcome.error }, what);
    if (breaker.failed()) options.log.error({ code: 'MC_WEBHOOK_DOWN', failures: breaker.consecutiveFailures, lastError: outcome.error }, 'webhook taken to be down: no new delivery starts, the rest waits for the next run');
  };
  await inHistoryOrder(state.plannedConversations(), deliverOne, { concurrency: options.concurrency, historyOf: ({ history }) => history, shouldStop: () => breaker.down || result.unreachable });
  await state.clearPlan();
  result.webhookDown = breaker.down;
  result.waiting = planned - tried + untouched;
  return { counts: result, lowestOpenChatId };
}

/** A frozen conversation ready for its POST: its outbox entry and the body it stands for. */
interface Frozen {
  readonly entry: OutboxEntry;
  readonly conversation: Conversation;
}

// An outbox entry frozen by an earlier run, with the body it stands for; undefined when it was sent meanwhile.
async function frozenEarlier(state: State, id: string, written: MessageOptions): Promise<Frozen | undefined> {
  const frozen = await state.frozenConversation(id);
  return frozen === undefined ? undefined : { entry: frozen.entry, conversation: bodyOf(frozen, written) };
}

// Freezes a new planned conversation built from its staged turns, the previous conversation being its history's
// latest sent one, read now that every earlier conversation of the history has its outcome (DESIGN §2 `continues`).
async function freezeNow(state: State, planned: PlannedConversation, gapMs: number, written: MessageOptions): Promise<Frozen> {
  const turns = await state.plannedTurns(planned);
  const previous = await state.latestSentBefore(planned.history, (turns[0] as Turn).createdAt);
  const conversation = buildConversation(turns, previous, gapMs, written);
  const entry = await state.freeze(conversation, turns, new Date());
  killPoint('frozen');
  return { entry, conversation };
}
