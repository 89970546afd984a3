import type { PageRecord } from '../domain/page-record.js';

/** One page as a source transport served it (DESIGN §1), not yet validated: `offset` is the page index. */
export interface RawPage {
  readonly offset: number;
  readonly records: readonly unknown[];
  readonly hasPages: boolean;
  /** Its size as served (the body's bytes, or the file's lines'), before its records were slimmed. @default 0 */
  readonly bytes?: number;
}

/** Reads raw page `offset` (the API or a file); `expectRows` says an empty page would be a bad page, not the end. */
export type ReadRawPage = (offset: number, expectRows: boolean) => Promise<RawPage>;

/** One page after validation (normalisePage): its records in the order served, each a turn or a bad record, and the facts paging reads, computed once (pageOf). */
export interface Page {
  readonly offset: number;
  readonly records: readonly PageRecord[];
  readonly hasPages: boolean;
  /** The usable chat ids of its records, in page order (records without one are left out). */
  readonly ids: readonly number[];
  /** The readable `createdAt` values of its records (ms). */
  readonly createdTimes: readonly number[];
  /** Its newest chat (highest usable id), or undefined when none has one. */
  readonly newest: Newest | undefined;
  /** Its size as served, in bytes (RawPage.bytes): paging reads fewer pages ahead after a big one. */
  readonly bytes: number;
}

/** Reads validated page `offset`; `expectRows` as for ReadRawPage. */
export type ReadPage = (offset: number, expectRows: boolean) => Promise<Page>;

/** The highest chat id seen and its `createdAt` (ISO-8601 UTC), or null when unreadable. */
export interface Newest {
  readonly id: number;
  readonly createdAt: string | null;
}

/** A validated page with its facts (ids, times, newest chat) worked out once. */
export function pageOf(offset: number, records: readonly PageRecord[], hasPages: boolean, bytes = 0): Page {
  const ids: number[] = [];
  const createdTimes: number[] = [];
  let newest: PageRecord | undefined;
  let newestId = -1;
  for (const record of records) {
    const id = recordId(record);
    const time = recordCreatedAt(record);
    if (id !== null) ids.push(id);
    if (time !== null) createdTimes.push(time);
    if (id !== null && id > newestId) [newest, newestId] = [record, id];
  }
  const newestMs = newest === undefined ? null : recordCreatedAt(newest);
  return { offset, records, hasPages, bytes, ids, createdTimes, newest: newest === undefined ? undefined : { id: newestId, createdAt: newestMs === null ? null : new Date(newestMs).toISOString() } };
}

/** A record's chat id, or null when it has no usable one. */
export function recordId(record: PageRecord): number | null {
  return record.kind === 'turn' ? record.turn.id : record.id;
}

/** A record's `createdAt` (ms), or null when it has no readable one. */
export function recordCreatedAt(record: PageRecord): number | null {
  return record.kind === 'turn' ? record.turn.createdAt : record.createdAt;
}
