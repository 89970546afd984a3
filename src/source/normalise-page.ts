import type { PageRecord } from '../domain/page-record.js';
import { normaliseRecord } from './normalise-record.js';
import { pageOf, type RawPage, type ReadPage, type ReadRawPage } from './page.js';

/** Validates a page's raw records in page order (DESIGN §1) against the real clock `realNowMs`: turns and bad records; never throws. */
export function normalisePage(records: readonly unknown[], realNowMs: number): PageRecord[] {
  return records.map((raw) => {
    const result = normaliseRecord(raw, realNowMs);
    return result.kind === 'turn' ? result : { ...result, raw };
  });
}

/** A ReadPage that validates every page `readRaw` serves the moment it arrives, against the real clock `realNow` (ms). */
export function validatedPages(readRaw: ReadRawPage, realNow: () => number): ReadPage {
  return async (offset, expectRows) => {
    const raw: RawPage = await readRaw(offset, expectRows);
    return pageOf(raw.offset, normalisePage(raw.records, realNow()), raw.hasPages, raw.bytes);
  };
}

