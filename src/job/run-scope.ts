import { parseTime } from '../source/normalise-record.js';
import type { Scope } from '../source/paging-scope.js';
import type { PagingTarget } from '../status/run-progress.js';

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
 * The `--backfill` date (ms) of a first run that stopped before its paging reached it (the source down on page 0,
 * its deadline, SIGTERM, a kill), or undefined: such a run stored neither a cursor nor its date as the floor, only
 * its paging record, whose scope holds the date as its horizon, and the date itself (`recordedMs`, written before its
 * first page). A run without `--backfill` carries it on (its horizon, so it resumes that paging and stores the date
 * as the floor once paging reaches it) instead of taking in all history; an explicit `--backfill` wins.
 */
export function unfinishedFirstBackfill(cursorId: number | undefined, floorMs: number | undefined, pagingHorizonMs: number | undefined, recordedMs?: number): number | undefined {
  return cursorId === undefined && floorMs === undefined ? (pagingHorizonMs ?? recordedMs) : undefined;
}

/** The floor to store once the run has paged down to its horizon: only ever lowered; none while all history is in. */
export function nextFloor(scope: Scope, floorMs: number | undefined): number | undefined {
  const horizon = Number.isFinite(scope.horizonMs) ? scope.horizonMs : undefined;
  if (scope.cursorId === undefined) return horizon === undefined ? undefined : Math.min(horizon, floorMs ?? horizon);
  if (floorMs === undefined) return undefined;
  return horizon === undefined ? floorMs : Math.min(floorMs, horizon);
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
