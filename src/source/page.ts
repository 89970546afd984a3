import type { PageRecord } from '../domain/page-record.js';

/** One page as a source transport served it (DESIGN §1), not yet validated: `offset` is the page index. */
export interface RawPage {
  readonly offset: number;
  readonly records: readonly unknown[];
  readonly hasPages: boolean;
}

/** Reads raw page `offset` (the API or a file); `expectRows` says an empty page would be a bad page, not the end. */
export type ReadRawPage = (offset: number, expectRows: boolean) => Promise<RawPage>;

/** One page after validation (normalisePage): its records in the order served, each a turn or a bad record. */
export interface Page {
  readonly offset: number;
  readonly records: readonly PageRecord[];
  readonly hasPages: boolean;
}

/** Reads validated page `offset`; `expectRows` as for ReadRawPage. */
export type ReadPage = (offset: number, expectRows: boolean) => Promise<Page>;

/** The usable chat ids of a page's records, in page order (records without one are left out). */
export function idsOf(page: Page): number[] {
  const ids: number[] = [];
  for (const record of page.records) {
    const id = recordId(record);
    if (id !== null) ids.push(id);
  }
  return ids;
}

/** The readable `createdAt` values of a page's records, in ms. */
export function createdTimes(page: Page): number[] {
  const times: number[] = [];
  for (const record of page.records) {
    const time = recordCreatedAt(record);
    if (time !== null) times.push(time);
  }
  return times;
}

/** The highest chat id seen and its `createdAt` (ISO-8601 UTC), or null when unreadable. */
export interface Newest {
  readonly id: number;
  readonly createdAt: string | null;
}

/** The newest chat of a page (highest usable id), or undefined when none has one. */
export function newestOf(page: Page): Newest | undefined {
  let found: PageRecord | undefined;
  for (const record of page.records) {
    const id = recordId(record);
    if (id !== null && (found === undefined || id > (recordId(found) as number))) found = record;
  }
  if (found === undefined) return undefined;
  const createdAt = recordCreatedAt(found);
  return { id: recordId(found) as number, createdAt: createdAt === null ? null : new Date(createdAt).toISOString() };
}

/** A record's chat id, or null when it has no usable one. */
export function recordId(record: PageRecord): number | null {
  return record.kind === 'turn' ? record.turn.id : record.id;
}

/** A record's `createdAt` (ms), or null when it has no readable one. */
export function recordCreatedAt(record: PageRecord): number | null {
  return record.kind === 'turn' ? record.turn.createdAt : record.createdAt;
}
