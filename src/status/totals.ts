import type { State } from '../store/state.js';
import { countRetractions, type RetractionTotals } from '../retractions/retraction-totals.js';

/** What STATE_DIR holds, counted: for `status` and the status file. */
export interface Totals extends RetractionTotals {
  stagedTurns: number;
  sentConversations: number;
  pending: number;
  deadLetters: number;
  parked: number;
  quarantined: number;
}

/** Counts what the state holds (keys only; a few hundred ms at a million records). */
export async function countTotals(state: State): Promise<Totals> {
  const totals: Totals = { stagedTurns: 0, sentConversations: 0, pending: 0, deadLetters: 0, parked: 0, quarantined: 0, ...(await countRetractions(state)) };
  let frozenTurns = 0;
  for await (const entry of state.outbox.values()) {
    frozenTurns += entry.turnKeys?.length ?? 0;
    if (entry.status === 'pending') totals.pending++;
    else if (entry.status === 'dead') totals.deadLetters++;
    else totals.parked++;
  }
  for await (const _ of state.turns.keys()) totals.stagedTurns++;
  totals.stagedTurns -= frozenTurns; // a frozen conversation's turns stay staged until its 2xx
  for await (const _ of state.sent.keys()) totals.sentConversations++;
  for await (const _ of state.quarantine.keys()) totals.quarantined++;
  return totals;
}
