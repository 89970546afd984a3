import { parseTime } from './normalise-record.js';
import { rawField } from './raw-record.js';

/** One page of raw records as the source served it (DESIGN §1): `offset` is the page index. */
export interface Page {
  readonly offset: number;
  readonly records: readonly unknown[];
  readonly hasPages: boolean;
}

/** Reads page `offset`; `expectRows` says an empty page would be a bad page, not the end. */
export type ReadPage = (offset: number, expectRows: boolean) => Promise<Page>;

/** The numeric ids of a page's records (records without one are left out). */
export function idsOf(page: Page): number[] {
  const ids: number[] = [];
  for (const record of page.records) {
    const id = rawField(record, 'id');
    if (typeof id === 'number' && Number.isSafeInteger(id)) ids.push(id);
  }
  return ids;
}

/** The readable `createdAt` values of a page's records, in ms. */
export function createdTimes(page: Page): number[] {
  const times: number[] = [];
  for (const record of page.records) {
    const time = parseTime(rawField(record, 'createdAt'));
    if (time !== undefined) times.push(time);
  }
  return times;
}

/** The highest chat id seen and its `createdAt` as the source wrote it. */
export interface Newest {
  readonly id: number;
  readonly createdAt: string | null;
}

/** The newest chat of a page (highest usable id), or undefined when none has one. */
export function newestOf(page: Page): Newest | undefined {
  let found: Newest | undefined;
  for (const record of page.records) {
    const id = rawField(record, 'id');
    const createdAt = rawField(record, 'createdAt');
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 && (found === undefined || id > found.id)) {
      found = { id, createdAt: typeof createdAt === 'string' ? createdAt : null };
    }
  }
  return found;
}
