import { lastValueFrom, defaultIfEmpty } from 'rxjs';
import type { Logger } from 'pino';
import { conversationId } from '../conversations/conversation-id.js';
import { toConversation } from '../conversations/conversation.js';
import { continuesFrom, rollingGap } from '../conversations/rolling-gap.js';
import type { SendConversation } from '../delivery/webhook-sender.js';
import { pullConcurrently } from '../delivery/pull-concurrently.js';
import { killPoint } from './kill-point.js';
import { threadKey } from '../state/keys.js';
import { freeze, latestSent, markFailed, markSent, outboxEntries } from '../state/outbox.js';
import type { LastSent, OutboxEntry, OutboxStatus } from '../state/records.js';
import type { State } from '../state/state.js';

/** Consecutive failed deliveries after which the webhook is taken to be down (DESIGN §3). */
export const webhookDownAfter = 10;

/** What the delivery phase did. */
export interface Delivered {
  sent: number;
  /** Of `sent`, conversations frozen by an earlier run (a crash, or dead letters retried). */
  resent: number;
  /** New dead letters (retries ran out; retried next run). */
  dead: number;
  /** New parked conversations (refused with a permanent 4xx). */
  parked: number;
  /** Conversations still open, left staged for a later night, and their turns. */
  open: number;
  openTurns: number;
  webhookDown: boolean;
}

/** What delivery needs besides the state. */
export interface DeliverOptions {
  readonly send: SendConversation;
  readonly gapMs: number;
  /** The instant that decides which conversations are closed. */
  readonly nowMs: number;
  readonly concurrency: number;
  /** Outbox statuses sent again before new conversations. @default ['pending', 'dead'] */
  readonly retryStatuses?: readonly OutboxStatus[];
  /** Also form and send the closed conversations among the staged turns (false: the outbox only, `dead-letters retry`). @default true */
  readonly newConversations?: boolean;
  /** Told after each delivery (progress, checkpoints). */
  readonly onDelivered?: (ok: boolean) => void;
  readonly log: Logger;
}

/**
 * Sends the outbox left by earlier runs, then every closed conversation among the staged turns: each is frozen in
 * the outbox before its first POST and marked sent in one batch after its 2xx (DESIGN §3–§4).
 */
export async function deliver(state: State, options: DeliverOptions): Promise<Delivered> {
  const result: Delivered = { sent: 0, resent: 0, dead: 0, parked: 0, open: 0, openTurns: 0, webhookDown: false };
  let consecutiveFailures = 0;
  const deliverOne = async ({ entry, earlier }: Queued): Promise<void> => {
    const { conversation } = entry;
    const key = entry.replay === undefined ? conversation.id : `${conversation.id}.${entry.replay}`;
    const outcome = await options.send(conversation, key);
    if (outcome.ok) {
      consecutiveFailures = 0;
      killPoint('posted');
      await markSent(state, entry, new Date());
      killPoint('marked-sent');
      result.sent++;
      if (earlier) result.resent++;
      options.onDelivered?.(true);
      return;
    }
    const status = outcome.permanent ? 'parked' : 'dead';
    await markFailed(state, entry, status, outcome.error, new Date());
    result[status]++;
    options.onDelivered?.(false);
    options.log.warn({ conversation: conversation.id, status, error: outcome.error }, outcome.permanent ? 'webhook refused a conversation: parked' : 'delivery failed after retries: dead letter');
    if (++consecutiveFailures >= webhookDownAfter && !result.webhookDown) {
      result.webhookDown = true;
      options.log.error({ failures: consecutiveFailures }, 'webhook taken to be down: delivery stopped, the rest waits for the next run');
    }
  };
  const entries = conversationsToSend(state, options, result);
  await lastValueFrom(pullConcurrently(entries, options.concurrency, deliverOne, () => result.webhookDown).pipe(defaultIfEmpty(undefined)));
  return result;
}

// A frozen conversation waiting for its POST; `earlier` when an earlier run froze it.
interface Queued {
  readonly entry: OutboxEntry;
  readonly earlier: boolean;
}

async function* conversationsToSend(state: State, options: DeliverOptions, result: Delivered): AsyncGenerator<Queued> {
  for await (const entry of outboxEntries(state, options.retryStatuses ?? ['pending', 'dead'])) yield { entry, earlier: true };
  if (options.newConversations === false) return;
  // rollingGap yields a thread's conversations together and in time order: its latest sent one is read once.
  let thread: string | undefined;
  let lastSent: LastSent | undefined;
  const runs = rollingGap(state.turns.values(), { gapMs: options.gapMs, nowMs: options.nowMs });
  try {
    for (let next = runs.next(); ; ) {
      const { done, value: run } = await next;
      if (done === true) return;
      // The next conversation's turns are read while this one is frozen.
      next = runs.next();
      next.catch(() => undefined); // awaited next time round; this only keeps a failure meanwhile from counting as unhandled
      if (!run.closed) {
        result.open++;
        result.openTurns += run.turns.length;
        continue;
      }
      const first = run.turns[0];
      if (first === undefined) continue;
      const key = threadKey(first.workspaceId, first.threadId);
      if (key !== thread) [thread, lastSent] = [key, await state.threads.get(key)];
      const id = conversationId(first.workspaceId, first.threadId, run.turns.map((turn) => turn.id));
      const conversation = toConversation(id, run.turns, continuesFrom(lastSent, first.createdAt, options.gapMs));
      const entry = await freeze(state, conversation, run.turns, new Date(), lastSent);
      lastSent = latestSent(lastSent, conversation);
      killPoint('frozen');
      yield { entry, earlier: false };
    }
  } finally {
    await runs.return(undefined);
  }
}
