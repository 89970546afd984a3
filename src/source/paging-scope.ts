import type { PageRecord } from '../domain/page-record.js';
import { recordCreatedAt, recordId, type Page } from './page.js';

/**
 * Which chats a run takes in, and where its paging may stop (DESIGN §1, §5): every night reads down past the
 * cursor to its lowest staged chat and the re-read window (the nightly overlap), a `--backfill` down to its date.
 * A first run without `--backfill` takes in all history; a first run with `--backfill DATE` takes in only chats created since DATE and records
 * DATE as the state's *floor*, so later nights do not stage older chats they meet on the overlap page.
 */
export interface Scope {
  /** The cursor before this run. */
  readonly cursorId: number | undefined;
  /** Chats created before this (ms) are left alone unless newer than the cursor; −Infinity = all history. */
  readonly horizonMs: number;
  /** `--backfill` (ms): paging goes on until a whole page is older. */
  readonly backfillMs: number | undefined;
  /** Paging goes on at least until it has read this chat id (the lowest staged turn's: DESIGN §1's re-read). */
  readonly rereadToId?: number | undefined;
  /** Paging goes on at least until a whole page is older than this (ms): REREAD_WINDOW before the cursor's `createdAt` (DESIGN §1). */
  readonly rereadToMs?: number | undefined;
}

/** True when a record is this run's to stage: newer than the cursor, created at or after the horizon, or undated (quarantined as usual). */
export function inScope(record: PageRecord, scope: Scope): boolean {
  if (!Number.isFinite(scope.horizonMs)) return true;
  const id = recordId(record);
  if (id !== null && scope.cursorId !== undefined && id > scope.cursorId) return true;
  const created = recordCreatedAt(record);
  return created === null || created >= scope.horizonMs;
}

/** The last-page rule of a run over `scope`: isLastApiPage for the API; a file is read to its end. */
export function lastPageRule(scope: Scope, sourceKind: 'api' | 'file'): (page: Page) => boolean {
  return sourceKind === 'api' ? (page) => isLastApiPage(page, scope) : (page) => !page.hasPages;
}

/** The rule of which records a run over `scope` stages (inScope). */
export function takeRule(scope: Scope): (record: PageRecord) => boolean {
  return (record) => inScope(record, scope);
}

/**
 * The API's last page of this run: no more pages, or one that reaches the lowest staged chat id, is wholly older
 * than the re-read window's end, wholly at or below the cursor and wholly older than the backfill (or, on a first
 * run, than the horizon).
 */
export function isLastApiPage(page: Page, scope: Scope): boolean {
  if (!page.hasPages) return true;
  const { cursorId, rereadToId, rereadToMs } = scope;
  const ids = page.ids;
  if (rereadToId !== undefined && (ids.length === 0 || Math.min(...ids) > rereadToId)) return false;
  if (rereadToMs !== undefined && !isWholePageOlderThan(page, rereadToMs)) return false;
  if (cursorId !== undefined && !ids.every((id) => id <= cursorId)) return false;
  const floor = cursorId !== undefined ? scope.backfillMs : Number.isFinite(scope.horizonMs) ? scope.horizonMs : undefined;
  if (floor === undefined) return cursorId !== undefined;
  return isWholePageOlderThan(page, floor);
}

/** True when the page holds dated records and every one is older than `ms` ("createdAt only roughly follows id"). */
export function isWholePageOlderThan(page: Page, ms: number): boolean {
  const times = page.createdTimes;
  return times.length > 0 && times.every((time) => time < ms);
}
