import type { RetractionTotals, Totals } from '../domain/state-totals.js';
import type { StateLevels } from './levels.js';

/**
 * Counts what the state holds (DESIGN §4: `status`, status.json, metrics): staged turns not frozen in the outbox, sent
 * conversations, the outbox by status, the quarantine and the retractions. Keys only where it can (a few hundred ms
 * at a million records); the outbox's and the retraction outbox's values for their statuses.
 */
export async function countTotals(levels: StateLevels): Promise<Totals> {
  const totals: Totals = { stagedTurns: 0, sentConversations: 0, pending: 0, deadLetters: 0, parked: 0, quarantined: 0, ...(await countRetractions(levels)) };
  let frozenTurns = 0;
  for await (const entry of levels.outbox.values()) {
    frozenTurns += entry.turnKeys?.length ?? 0;
    if (entry.status === 'pending') totals.pending++;
    else if (entry.status === 'dead') totals.deadLetters++;
    else totals.parked++;
  }
  for await (const _ of levels.turns.keys()) totals.stagedTurns++;
  totals.stagedTurns -= frozenTurns; // a frozen conversation's turns stay staged until its 2xx
  for await (const _ of levels.sent.keys()) totals.sentConversations++;
  for await (const _ of levels.quarantine.keys()) totals.quarantined++;
  return totals;
}

/**
 * Counts the retractions (DESIGN §3b): the retraction outbox by status, the conversations with changes found and not
 * yet frozen (each waits as one retraction), and the retractions sent.
 */
export async function countRetractions(levels: StateLevels): Promise<RetractionTotals> {
  const totals: RetractionTotals = { retractionsSent: 0, retractionsWaiting: 0, retractionsDead: 0, retractionsParked: 0 };
  for await (const entry of levels.retractions.values()) {
    if (entry.status === 'pending') totals.retractionsWaiting++;
    else if (entry.status === 'dead') totals.retractionsDead++;
    else totals.retractionsParked++;
  }
  const unfrozen = new Set<string>();
  for await (const record of levels.changed.values()) if (record.p !== undefined && record.f === undefined) unfrozen.add(record.c);
  totals.retractionsWaiting += unfrozen.size;
  for await (const _ of levels.retracted.keys()) totals.retractionsSent++;
  return totals;
}
