import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Scope } from '../source/paging-scope.js';
import { lowestOpenChatId } from '../delivery/lowest-open-chat.js';
import type { Cursor, PagingRecord } from '../store/records.js';
import type { State } from '../store/state.js';
import { conversationRules } from './conversation-rules.js';
import { horizonOfScopeKey } from './resume-point.js';
import { rereadWindowEnd, runScope, unfinishedFirstBackfill } from './run-scope.js';

/** Where a night starts: the cursor and floor as stored, and the scope of its paging. */
export interface NightStart {
  readonly cursor: Cursor | undefined;
  /** The stored floor (ms), or undefined while all history is in. */
  readonly floorMs: number | undefined;
  readonly scope: Scope;
  /** Where a stopped run's paging got to (state's paging record), or undefined. */
  readonly paging: PagingRecord | undefined;
}

/**
 * Reads the cursor, the floor and the paging record and sets the night's scope: paging reaches back at least to the
 * first turn of every conversation open when the last night ended (judged with that night's `now`, recorded as
 * State.openFrom, DESIGN §1 "Open") or open at `nowMs`, so a re-read shows what became of it, and to REREAD_WINDOW before the
 * cursor's createdAt — completed agent chats, edits, resets, deletions (DESIGN §1); a first `--backfill` stopped
 * before paging reached its date is carried on by a run without one (DESIGN §5, docs/operations.md "Long first backfills"); a
 * first `--backfill`'s date is recorded (State.setFirstBackfill) before any page is read.
 * `nowMs` decides which conversations are open, cut as the night's plan cuts them (the gap and the caps). Throws
 * LevelDB errors as they come.
 */
export async function nightScope(state: State, config: Config, nowMs: number, log: Logger): Promise<NightStart> {
  const cursor = await state.meta('cursor');
  const floorMs = await state.meta('floor');
  const paging = await state.meta('paging');
  const unfinishedMs = unfinishedFirstBackfill(cursor?.id, floorMs, paging === undefined ? undefined : horizonOfScopeKey(paging.scope), await state.meta('firstBackfill'));
  if (unfinishedMs !== undefined) {
    const stopped = new Date(unfinishedMs).toISOString();
    if (config.backfill === undefined) log.info({ backfill: stopped }, `carrying on the first --backfill from ${stopped}, which an earlier run stopped before paging reached it: only chats since then are taken in`);
    else if (config.backfill.getTime() > unfinishedMs && paging !== undefined) log.warn({ backfill: config.backfill.toISOString(), stopped }, `an earlier run stopped a first --backfill from ${stopped}: the chats it staged from before ${config.backfill.toISOString()} are sent all the same`);
  }
  const scope: Scope = {
    ...runScope(cursor?.id, floorMs, config.backfill?.getTime() ?? unfinishedMs),
    rereadToId: lowest(await state.meta('openFrom'), await lowestOpenChatId(state, conversationRules(config, nowMs))),
    rereadToMs: rereadWindowEnd(cursor, config.rereadWindowMs),
  };
  // A first --backfill is recorded before its first page, so a run stopped before any page is staged still binds the next.
  if (cursor === undefined && floorMs === undefined && Number.isFinite(scope.horizonMs)) await state.setMeta('firstBackfill', scope.horizonMs);
  return { cursor, floorMs, scope, paging };
}

function lowest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
