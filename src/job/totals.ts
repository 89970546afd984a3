import type { State } from '../state/state.js';

/** What STATE_DIR holds, counted: for `status` and the status file. */
export interface Totals {
  stagedTurns: number;
  sentConversations: number;
  pending: number;
  deadLetters: number;
  parked: number;
  quarantined: number;
}

/** Counts what the state holds (keys only; a few hundred ms at a million records). */
export async function countTotals(state: State): Promise<Totals> {
  const totals: Totals = { stagedTurns: 0, sentConversations: 0, pending: 0, deadLetters: 0, parked: 0, quarantined: 0 };
  for await (const _ of state.turns.keys()) totals.stagedTurns++;
  for await (const _ of state.sent.keys()) totals.sentConversations++;
  for await (const _ of state.quarantine.keys()) totals.quarantined++;
  for await (const entry of state.outbox.values()) {
    if (entry.status === 'pending') totals.pending++;
    else if (entry.status === 'dead') totals.deadLetters++;
    else totals.parked++;
  }
  return totals;
}
