import type { PageRecord } from '../domain/page-record.js';
import type { Turn } from '../domain/turn.js';
import { normaliseRecord } from './normalise-record.js';

/** Validates a page's raw records in page order (DESIGN §1) against the real clock `realNowMs`: turns and bad records; never throws. */
export function normalisePage(records: readonly unknown[], realNowMs: number): PageRecord[] {
  return records.map((raw) => {
    const result = normaliseRecord(raw, realNowMs);
    return result.kind === 'turn' ? result : { ...result, raw };
  });
}

/** The turns among a page's validated records. */
export function turnsOf(records: readonly PageRecord[]): Turn[] {
  return records.flatMap((record) => (record.kind === 'turn' ? [record.turn] : []));
}
