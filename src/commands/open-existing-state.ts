import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { State, type OpenOptions } from '../store/state.js';

/**
 * Opens STATE_DIR for an operator command (`dead-letters`, `quarantine`): takes the lock like a run (a run
 * holding it → MC_LOCKED, exit 3, naming the holder), or resolves to undefined when nothing has run there yet,
 * creating nothing.
 */
export async function openExistingState(stateDir: string, command: string, options: OpenOptions = {}): Promise<State | undefined> {
  try {
    await stat(join(stateDir, 'db', 'CURRENT'));
  } catch {
    return undefined;
  }
  return State.open(stateDir, command, options);
}

/** The line an operator command prints on a STATE_DIR where nothing has run. */
export function nothingRanLine(stateDir: string): string {
  return `nothing has run in ${stateDir} yet\n`;
}
