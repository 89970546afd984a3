import type { IdGap, PageRecord } from '../domain/page-record.js';
import type { Turn } from '../domain/turn.js';
import { idGaps } from './id-gaps.js';
import type { Page } from './page.js';

/** One page read, with what it means for this run worked out by source/: staging takes it as it is (DESIGN §1). */
export interface FinishedPage extends Page {
  /** The records this run stages (its take rule applied), in page order. */
  readonly taken: readonly PageRecord[];
  /** How many records were left alone as not this run's: older than its horizon (reconcile: newer than its cursor, or older than its date). */
  readonly older: number;
  /** The id gaps between neighbouring rows, proving the chats between them absent (idGaps); API pages only: a file proves nothing. */
  readonly absentBetween: readonly IdGap[];
  /** Every turn of the page, taken or not, in page order: what a `--redeliver` replay keeps (DESIGN §5). */
  readonly turns: readonly Turn[];
}

/** The facts of a validated page for a run that takes the records `take` accepts, from a source of kind `sourceKind`. */
export function finishPage(page: Page, take: (record: PageRecord) => boolean, sourceKind: 'api' | 'file'): FinishedPage {
  const taken = page.records.filter(take);
  return {
    ...page,
    taken,
    older: page.records.length - taken.length,
    // An API page is one snapshot in id order: a staged chat between two of its neighbouring rows is gone (DESIGN §1).
    absentBetween: sourceKind === 'api' ? idGaps(page) : [],
    turns: page.records.flatMap((record) => (record.kind === 'turn' ? [record.turn] : [])),
  };
}
