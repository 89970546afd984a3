import { parseTime } from '../source/normalise-record.js';
import { createdTimes, idsOf, type Page } from '../source/page.js';
import { rawField } from '../source/raw-record.js';
import type { PagingTarget } from '../status/run-progress.js';

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

/** Where the re-read window ends (ms): `windowMs` before the cursor's `createdAt`; undefined when it is off (0) or unknown. */
export function rereadWindowEnd(cursor: { readonly createdAt: string | null } | undefined, windowMs: number): number | undefined {
  if (windowMs <= 0 || cursor === undefined) return undefined;
  const cursorMs = parseTime(cursor.createdAt);
  return cursorMs === undefined ? undefined : cursorMs - windowMs;
}

/** The scope of a run from the cursor, the stored floor and `--backfill` (all optional). */
export function runScope(cursorId: number | undefined, floorMs: number | undefined, backfillMs: number | undefined): Scope {
  const horizonMs = backfillMs !== undefined ? Math.min(backfillMs, floorMs ?? backfillMs) : (floorMs ?? Number.NEGATIVE_INFINITY);
  return { cursorId, horizonMs, backfillMs };
}

/**
 * The `--backfill` date (ms) of a first run that stopped before its paging reached it (deadline, SIGTERM, a kill), or
 * undefined: such a run stored neither a cursor nor its date as the floor, only its paging record, whose scope holds
 * the date as its horizon. A run without `--backfill` carries it on (its horizon, so it resumes that paging and stores
 * the date as the floor once paging reaches it) instead of taking in all history; an explicit `--backfill` wins.
 */
export function unfinishedFirstBackfill(cursorId: number | undefined, floorMs: number | undefined, pagingHorizonMs: number | undefined): number | undefined {
  return cursorId === undefined && floorMs === undefined ? pagingHorizonMs : undefined;
}

/** The floor to store once the run has paged down to its horizon: only ever lowered; none while all history is in. */
export function nextFloor(scope: Scope, floorMs: number | undefined): number | undefined {
  const horizon = Number.isFinite(scope.horizonMs) ? scope.horizonMs : undefined;
  if (scope.cursorId === undefined) return horizon === undefined ? undefined : Math.min(horizon, floorMs ?? horizon);
  if (floorMs === undefined) return undefined;
  return horizon === undefined ? floorMs : Math.min(floorMs, horizon);
}

/** True when a raw record is this run's to stage: newer than the cursor, created at or after the horizon, or unreadable (quarantined as usual). */
export function inScope(record: unknown, scope: Scope): boolean {
  if (!Number.isFinite(scope.horizonMs)) return true;
  const id = rawField(record, 'id');
  if (typeof id === 'number' && scope.cursorId !== undefined && id > scope.cursorId) return true;
  const created = parseTime(rawField(record, 'createdAt'));
  return created === undefined || created >= scope.horizonMs;
}

/**
 * The API's last page of this run: no more pages, or one that reaches the lowest staged chat id, is wholly older
 * than the re-read window's end, wholly at or below the cursor and wholly older than the backfill (or, on a first
 * run, than the horizon).
 */
export function isLastApiPage(page: Page, scope: Scope): boolean {
  if (!page.hasPages) return true;
  const { cursorId, rereadToId, rereadToMs } = scope;
  const ids = idsOf(page);
  if (rereadToId !== undefined && (ids.length === 0 || Math.min(...ids) > rereadToId)) return false;
  if (rereadToMs !== undefined && !isWholePageOlderThan(page, rereadToMs)) return false;
  if (cursorId !== undefined && !ids.every((id) => id <= cursorId)) return false;
  const floor = cursorId !== undefined ? scope.backfillMs : Number.isFinite(scope.horizonMs) ? scope.horizonMs : undefined;
  if (floor === undefined) return cursorId !== undefined;
  return isWholePageOlderThan(page, floor);
}

/** True when the page holds dated records and every one is older than `ms` ("createdAt only roughly follows id"). */
export function isWholePageOlderThan(page: Page, ms: number): boolean {
  const times = createdTimes(page);
  return times.length > 0 && times.every((time) => time < ms);
}

/** Where paging will stop, for the progress ETA: the older of `--backfill` and the cursor's `createdAt` (less the re-read window), the floor on a first run, else chat id 0. */
export function pagingTarget(scope: Scope, cursor: { readonly createdAt: string | null } | undefined): PagingTarget | undefined {
  const cursorCreatedMs = cursor === undefined ? undefined : parseTime(cursor.createdAt);
  const cursorMs = cursorCreatedMs === undefined || scope.rereadToMs === undefined ? cursorCreatedMs : Math.min(cursorCreatedMs, scope.rereadToMs);
  if (scope.cursorId !== undefined) {
    if (cursorMs === undefined) return scope.backfillMs === undefined ? undefined : { kind: 'time', ms: scope.backfillMs };
    return { kind: 'time', ms: Math.min(cursorMs, scope.backfillMs ?? cursorMs) };
  }
  return Number.isFinite(scope.horizonMs) ? { kind: 'time', ms: scope.horizonMs } : { kind: 'id' };
}
