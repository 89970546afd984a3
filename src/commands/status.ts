import { McError } from '../errors.js';
import { readHolder } from '../statedir/holder.js';
import { holderAlive } from '../status/holder-alive.js';
import type { StatusFile } from '../status/status-shape.js';
import { readStatusFile, statusPath } from '../statedir/status-file.js';
import { statusTable } from './status-table.js';
import { statusView, type LockView } from './status-view.js';

/**
 * `memory-cron status [--json]` (DESIGN §4): reads STATE_DIR/status.json, which runs rewrite atomically at each
 * checkpoint, and never opens LevelDB, so it answers while a run holds the state. Whether a run is going is asked of
 * the LevelDB lock (holder-alive.ts), not of the pid status.json records. Prints a table, or one JSON object with
 * `--json`; on a STATE_DIR where nothing has run it says so and exits 0. An unreadable status.json is MC_STATE_DAMAGED.
 */
export async function statusCommand(stateDir: string, json: boolean): Promise<number> {
  let file: Partial<StatusFile> | undefined;
  try {
    file = await readStatusFile<Partial<StatusFile>>(stateDir);
  } catch (error) {
    throw new McError('MC_STATE_DAMAGED', `cannot read ${statusPath(stateDir)} (${(error as Error).message}); the next run rewrites it`, { cause: error });
  }
  const view = statusView(stateDir, file, file === undefined ? { held: false } : await lockView(stateDir, file));
  process.stdout.write(json ? `${JSON.stringify(view)}\n` : statusTable(view));
  return 0;
}

// Whether a process holds STATE_DIR, from its lock, and who holder.json says it is; the recorded pid is asked only
// when the lock cannot be tried.
async function lockView(stateDir: string, file: Partial<StatusFile>): Promise<LockView> {
  const locker = await readHolder(stateDir);
  const held = await holderAlive(stateDir, file.running === true ? (file.holder ?? locker) : locker);
  return { held, holder: locker };
}
