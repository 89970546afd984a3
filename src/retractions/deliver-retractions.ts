import type { Logger } from 'pino';
import { Breaker } from '../delivery/breaker.js';
import { inHistoryOrder } from '../delivery/in-history-order.js';
import type { SendWebhookBody } from '../delivery/webhook-sender.js';
import { killPoint } from '../kill-point.js';
import type { RetractionCounts } from '../domain/night-counts.js';
import type { State } from '../store/state.js';
import { freezeRetractions } from './freeze-retractions.js';
import type { RetractionEntry, RetractionStatus } from '../store/records.js';

/** What the retraction delivery needs besides the state. */
export interface RetractionDeliveryOptions {
  /** POSTs one body to RETRACT_WEBHOOK_URL with its id as the Idempotency-Key (the conversations' sender). */
  readonly send: SendWebhookBody;
  /** Freeze the changes found into new retractions first (false: the outbox only, `dead-letters retry`). @default true */
  readonly freezeNew?: boolean;
  /** @default ['pending', 'dead'] */
  readonly retryStatuses?: readonly RetractionStatus[];
  readonly concurrency: number;
  /** True when nothing may be POSTed (the conversations took the same webhook to be down): freeze only. @default false */
  readonly held?: boolean;
  readonly log: Logger;
}

/**
 * The retraction phase of a night (after the conversations) or of `dead-letters retry` (DESIGN §3b): freezes the
 * changes found, then POSTs every retraction in the outbox whose conversation is sent — the same promises as
 * conversations: frozen before the first POST, the id as Idempotency-Key, retries, dead letters, parking, the breaker;
 * one conversation's retractions one at a time, in the order they were seen.
 */
export async function deliverRetractions(state: State, options: RetractionDeliveryOptions): Promise<RetractionCounts> {
  const frozenNow = options.freezeNew === false ? [] : await freezeRetractions(state, new Date());
  const counts: RetractionCounts = { frozen: frozenNow.length, sent: 0, resent: 0, dead: 0, parked: 0, waiting: 0, webhookDown: false, lastError: null };
  const fresh = new Set(frozenNow);
  const breaker = new Breaker();
  const deliverOne = async (entry: RetractionEntry): Promise<void> => {
    const { body } = entry;
    if ((await state.sentRecord(body.conversation)) === undefined) return; // never before the conversation it names
    const outcome = await options.send(body, body.id);
    if (outcome.ok) {
      breaker.succeeded();
      killPoint('retraction-posted');
      await state.markRetracted(entry, new Date());
      killPoint('retraction-sent');
      counts.sent++;
      if (!fresh.has(body.id)) counts.resent++;
      return;
    }
    const status = outcome.permanent ? 'parked' : 'dead';
    await state.markRetractionFailed(entry, status, outcome.error, new Date());
    counts[status]++;
    counts.lastError = outcome.error;
    options.log.warn({ retraction: body.id, conversation: body.conversation, chats: body.chats.length, status, error: outcome.error }, outcome.permanent ? 'retraction webhook refused a retraction: parked' : 'retraction delivery failed after retries: dead letter');
    if (breaker.failed()) options.log.error({ code: 'MC_WEBHOOK_DOWN', failures: breaker.consecutiveFailures, lastError: outcome.error }, 'retraction webhook taken to be down: no new retraction starts, the rest waits for the next run');
  };
  if (options.held !== true) {
    const entries = await state.retractionEntries(options.retryStatuses ?? ['pending', 'dead']);
    await inHistoryOrder(list(entries), deliverOne, { concurrency: options.concurrency, historyOf: (entry) => entry.body.conversation, shouldStop: () => breaker.down });
  }
  counts.webhookDown = breaker.down;
  counts.waiting = (await state.retractionEntries(['pending', 'dead', 'parked'])).length;
  if (counts.frozen + counts.sent + counts.dead + counts.parked > 0) options.log.info({ retractions: counts }, `retractions: ${counts.frozen} frozen, ${counts.sent} sent, ${counts.dead} dead, ${counts.parked} parked, ${counts.waiting} waiting`);
  return counts;
}

async function* list<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}
