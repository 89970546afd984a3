import { recordId, type Page } from './page.js';
import type { IdGap } from '../domain/page-record.js';

/**
 * The gaps between neighbouring rows of one API page (DESIGN §1 "gone"): a page is one query, one snapshot of the
 * table in id order, so a chat whose id lies strictly between two rows it served side by side was not in the table
 * when it was served — it is gone (AnythingLLM's ids are never reused). Only rows with a usable id and in strictly
 * descending order count; a row without one between two others proves nothing. Across a page boundary nothing is
 * proven: rows deleted above the next page shift it up, and a row can slip between two reads unseen.
 */
export function idGaps(page: Page): IdGap[] {
  const gaps: IdGap[] = [];
  let previous: number | undefined;
  for (const record of page.records) {
    const usable = recordId(record) ?? undefined;
    if (previous !== undefined && usable !== undefined && previous > usable + 1) gaps.push({ above: previous, below: usable });
    previous = usable;
  }
  return gaps;
}
