import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nextFloor, runScope } from '../job/run-scope.js';
import { parseTime } from '../source/normalise-record.js';
import { readStatusFile } from '../statedir/status-file.js';
import type { StatusFile } from '../status/status-shape.js';

/**
 * What a run with `--backfill DATE` would take in (DESIGN §5, docs/operations.md "First install"):
 * - `first-install`: no night has completed in STATE_DIR (no cursor): only chats created since DATE (or since an
 *   older floor already stored), and that date becomes the floor;
 * - `older-history`: DATE is before the stored floor: the chats between DATE and the floor, which the state never
 *   had, and the floor moves to DATE;
 * - `re-read`: the state already takes in everything since DATE (all history, or a floor at or before DATE): the run
 *   re-reads back to DATE and stages only chats no night has seen; chats already sent are skipped;
 * - `unknown`: STATE_DIR holds a database but its status.json is missing or unreadable, so the cursor and floor are
 *   not known without opening LevelDB, which `check` never does.
 */
export type BackfillEffect = 'first-install' | 'older-history' | 're-read' | 'unknown';

/** What `check --backfill DATE` reports: one log line's fields and its message. */
export interface BackfillPreview {
  readonly effect: BackfillEffect;
  /** DATE as read (ISO, UTC): a plain date is midnight in `--tz`, as for `run --backfill` (config/backfill-date.ts). */
  readonly date: string;
  /** The cursor's chat id status.json records, or null before the first complete night (or when unknown). */
  readonly cursor: number | null;
  /** The stored floor (ISO), or null: all history is in, no night has completed, or unknown. */
  readonly floor: string | null;
  /** The floor once such a run has paged down to DATE (ISO), or null: all history stays in, or unknown. */
  readonly floorAfter: string | null;
  /** `--redeliver`: every conversation since DATE is sent again, with new keys. */
  readonly redeliver: boolean;
  /** One sentence for the operator. */
  readonly message: string;
}

/**
 * Says what a run with `--backfill` at `backfill` would do to STATE_DIR, from the cursor and floor status.json records
 * (runs rewrite it at every checkpoint), with the run's own scope rules (job/run-scope.ts: runScope, nextFloor). Reads
 * status.json and looks for `db/CURRENT`; opens no database and writes nothing (`check` is read-only). Never throws
 * for an unreadable status.json: that is the `unknown` effect.
 */
export async function previewBackfill(stateDir: string, backfill: Date, options: { readonly redeliver: boolean }): Promise<BackfillPreview> {
  const date = backfill.toISOString();
  const common = { date, redeliver: options.redeliver };
  const again = options.redeliver ? `; with --redeliver it sends every conversation since ${date} again, with new Idempotency-Keys` : '';
  const known = await recorded(stateDir);
  if (known === 'unknown') {
    return { ...common, effect: 'unknown', cursor: null, floor: null, floorAfter: null, message: `${stateDir} holds a state but its status.json is missing or unreadable, so its cursor and floor are not known here: a run with --backfill ${date} pages back to ${date} and takes in what the state lacks since then${again}` };
  }
  const cursorId = known?.cursor?.id ?? undefined;
  const floorMs = parseTime(known?.floor);
  const scope = runScope(cursorId, floorMs, backfill.getTime());
  const after = nextFloor(scope, floorMs);
  const state = { cursor: cursorId ?? null, floor: floorMs === undefined ? null : iso(floorMs), floorAfter: after === undefined ? null : iso(after) };
  if (cursorId === undefined) {
    const since = iso(scope.horizonMs);
    return { ...common, effect: 'first-install', ...state, message: `no night has completed in ${stateDir} yet: a run with --backfill ${date} takes in only the chats created since ${since} and keeps ${state.floorAfter ?? since} as the floor; nightly runs never read older history${again}` };
  }
  if (floorMs !== undefined && backfill.getTime() < floorMs) {
    return { ...common, effect: 'older-history', ...state, message: `--backfill ${date} is before the floor ${iso(floorMs)}: a run pages back to ${date} and takes in the chats created between the two, which the state never had, and the floor moves to ${state.floorAfter ?? date}${again}` };
  }
  const has = floorMs === undefined ? 'all history' : `everything since the floor ${iso(floorMs)}`;
  return { ...common, effect: 're-read', ...state, message: `the state already takes in ${has}: a run with --backfill ${date} re-reads back to ${date} and stages only chats no night has seen; chats already sent are not sent again${again}` };
}

// status.json's cursor and floor; undefined when nothing has run (no status.json, no database), `unknown` when a
// database is there without a readable status.json.
async function recorded(stateDir: string): Promise<Partial<StatusFile> | undefined | 'unknown'> {
  try {
    const file = await readStatusFile<Partial<StatusFile>>(stateDir);
    if (file !== undefined && file !== null && typeof file === 'object') return file;
  } catch {
    return 'unknown';
  }
  return existsSync(join(stateDir, 'db', 'CURRENT')) ? 'unknown' : undefined;
}


function iso(ms: number): string {
  return new Date(ms).toISOString();
}
