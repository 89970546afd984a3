import type { RetractionCounts } from '../domain/night-counts.js';

/** The run line's retraction part (`; retractions: 1 sent, 0 dead, 0 parked, 0 waiting`), empty when RETRACT_WEBHOOK_URL is unset. */
export function retractionsLine(counts: RetractionCounts | null): string {
  if (counts === null) return '';
  return `; retractions: ${counts.sent} sent, ${counts.dead} dead, ${counts.parked} parked, ${counts.waiting} waiting`;
}
