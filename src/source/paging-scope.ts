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

/**
 * The two rules a run pages by, given to source/ once when paging starts (pageSource): which records are this run's
 * to stage, and which API page is its last (a file is always read to its end).
 */
export interface PagingRules {
  readonly take: (record: PageRecord) => boolean;
  readonly isLastPage: (page: Page) => boolean;
}

/** A night's rules over `scope` (DESIGN §1, §5): records in scope (inScope), the last page (isLastApiPage). */
export function scopeRules(scope: Scope): PagingRules {
  return { take: (record) => inScope(record, scope), isLastPage: (page) => isLastApiPage(page, scope) };
}

/**
 * `reconcile`'s rules (DESIGN §4): it takes the chats at or below `cursorId` (newer ones are the next night's)
 * created at or after `sinceMs` (ms; undefined = all history; undated records are taken, to be quarantined as
 * usual), and reads until no more pages follow or a whole page is older than `sinceMs`.
 */
export function reconcileRules(cursorId: number, sinceMs: number | undefined): PagingRules {
  return {
    take: (record) => {
      const id = recordId(record);
      if (id !== null && id > cursorId) return false;
      const created = recordCreatedAt(record);
      return sinceMs === undefined || created === null || created >= sinceMs;
    },
    isLastPage: (page) => !page.hasPages || (sinceMs !== undefined && isWholePageOlderThan(page, sinceMs)),
  };
}

// True when a record is this run's to stage: newer than the cursor, created at or after the horizon, or undated
// (quarantined as usual).
function inScope(record: PageRecord, scope: Scope): boolean {
  if (!Number.isFinite(scope.horizonMs)) return true;
  const id = recordId(record);
  if (id !== null && scope.cursorId !== undefined && id > scope.cursorId) return true;
  const created = recordCreatedAt(record);
  return created === null || created >= scope.horizonMs;
}

// The API's last page of this run: no more pages, or one that reaches the lowest staged chat id, is wholly older
// than the re-read window's end, wholly at or below the cursor and wholly older than the backfill (or, on a first
// run, than the horizon).
function isLastApiPage(page: Page, scope: Scope): boolean {
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

// True when the page holds dated records and every one is older than `ms` ("createdAt only roughly follows id").
function isWholePageOlderThan(page: Page, ms: number): boolean {
  const times = page.createdTimes;
  return times.length > 0 && times.every((time) => time < ms);
}
