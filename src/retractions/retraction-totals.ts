import type { State } from '../store/state.js';

/** Retractions counted in STATE_DIR (DESIGN §3b): for `status`, the status file and the metrics. Ids and counts only. */
export interface RetractionTotals {
  /** Accepted by RETRACT_WEBHOOK_URL, ever. */
  retractionsSent: number;
  /** To be sent: frozen and pending, and the conversations with changes found and not yet frozen (one retraction each). */
  retractionsWaiting: number;
  /** Dead: retries ran out; retried by the next run. */
  retractionsDead: number;
  /** Parked: refused with a permanent 4xx; retried by `dead-letters retry`. */
  retractionsParked: number;
}

/** Counts the retraction outbox, the changes waiting to be frozen, and the retractions sent. */
export async function countRetractions(state: State): Promise<RetractionTotals> {
  const totals: RetractionTotals = { retractionsSent: 0, retractionsWaiting: 0, retractionsDead: 0, retractionsParked: 0 };
  for await (const entry of state.retractions.values()) {
    if (entry.status === 'pending') totals.retractionsWaiting++;
    else if (entry.status === 'dead') totals.retractionsDead++;
    else totals.retractionsParked++;
  }
  const unfrozen = new Set<string>();
  for await (const record of state.changed.values()) if (record.p !== undefined && record.f === undefined) unfrozen.add(record.c);
  totals.retractionsWaiting += unfrozen.size;
  for await (const _ of state.retracted.keys()) totals.retractionsSent++;
  return totals;
}
