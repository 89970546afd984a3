import { McError } from '../errors.js';
import { safeOrigin } from '../http/safe-url.js';
import { type RetractionCounts, webhookDownAfter } from '../domain/night-counts.js';

/**
 * The error a run exits with for its retractions (DESIGN §3b: the conversations' promises, so exit 6 for new dead or
 * parked retractions, or the retraction webhook taken to be down), or undefined. Ids and counts only.
 */
export function retractionProblem(counts: RetractionCounts | null, url: string | undefined): McError | undefined {
  if (counts === null) return undefined;
  const where = url === undefined ? 'the retraction webhook' : `the retraction webhook at ${safeOrigin(url)}`;
  const last = counts.lastError ?? 'unknown';
  if (counts.webhookDown) {
    return new McError('MC_WEBHOOK_DOWN', `${where} failed ${webhookDownAfter} retractions in a row (last: ${last}); it was taken to be down: ${counts.waiting} retractions wait in the outbox for the next run (check RETRACT_WEBHOOK_URL)`, { details: { lastError: last, dead: counts.dead, parked: counts.parked, waiting: counts.waiting } });
  }
  if (counts.dead + counts.parked === 0) return undefined;
  return new McError('MC_DEAD_LETTERS', `${counts.dead} dead and ${counts.parked} parked retractions left by this run (last error: ${last}): dead ones are retried by the next run, parked ones by \`memory-cron dead-letters retry\`; see \`memory-cron dead-letters\``, { details: { dead: counts.dead, parked: counts.parked } });
}
