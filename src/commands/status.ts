import { McError } from '../errors.js';
import type { StatusFile } from '../status/status-shape.js';
import { readStatusFile, statusPath } from '../state/status-file.js';
import { statusTable } from './status-table.js';
import { statusView } from './status-view.js';

/**
 * `memory-cron status [--json]` (DESIGN §4): reads STATE_DIR/status.json, which runs rewrite atomically at each
 * checkpoint — never LevelDB and never the lock, so it answers while a run holds the state. Prints a table, or
 * one JSON object with `--json`; on a STATE_DIR where nothing has run it says so and exits 0.
 */
export async function statusCommand(stateDir: string, json: boolean): Promise<number> {
  let file: Partial<StatusFile> | undefined;
  try {
    file = await readStatusFile<Partial<StatusFile>>(stateDir);
  } catch (error) {
    throw new McError('MC_STATE_DAMAGED', `cannot read ${statusPath(stateDir)} (${(error as Error).message}); the next run rewrites it`, { cause: error });
  }
  const view = statusView(stateDir, file);
  process.stdout.write(json ? `${JSON.stringify(view)}\n` : statusTable(view));
  return 0;
}
