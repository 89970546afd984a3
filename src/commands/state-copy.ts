import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { McError } from '../errors.js';
import { describeHolder, readHolder } from '../statedir/holder.js';
import { lockedError } from '../statedir/locked-error.js';
import { judgeStateDir } from '../statedir/permissions.js';
import { holderAlive } from '../status/holder-alive.js';

/** A throw-away copy of STATE_DIR for `--dry-run` (DESIGN §4): run the real job on `dir`, then `remove()` it. */
export interface StateCopy {
  readonly dir: string;
  remove(): Promise<void>;
}

/**
 * Copies STATE_DIR into a fresh temporary folder without opening its LevelDB (opening rewrites files, and a dry
 * run must leave every byte as it was). Copying files another process is writing gives a torn database, so a
 * state whose LevelDB lock is held — before or after the copy — refuses with MC_LOCKED (exit 3), naming the holder
 * holder.json records; a recorded holder whose lock is free (a run killed with -9, its pid maybe reused) does not
 * (holder-alive.ts). A STATE_DIR other users can reach is refused (MC_STATE_EXPOSED); the copy is
 * owner-only. A STATE_DIR that does not exist yet copies as an empty one.
 */
export async function copyStateDir(stateDir: string): Promise<StateCopy> {
  await judgeStateDir(stateDir); // an exposed STATE_DIR is refused as a run refuses it; an absent one is copied as empty
  await refuseIfHeld(stateDir, 'is held by a run');
  const dir = await mkdtemp(join(tmpdir(), 'memory-cron-dry-run-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    if (existsSync(stateDir)) {
      await cp(stateDir, dir, { recursive: true, filter: (source) => !isRunFile(basename(source)) });
    }
    await refuseIfHeld(stateDir, 'was taken by a run while it was being copied');
  } catch (error) {
    await remove();
    if (error instanceof McError) throw error;
    throw new McError('MC_STATE_UNWRITABLE', `cannot copy ${stateDir} for the dry run (${(error as Error).message}); free space in ${tmpdir()} (TMPDIR) or check permissions`, { cause: error });
  }
  return { dir, remove };
}

async function refuseIfHeld(stateDir: string, what: string): Promise<void> {
  const holder = await readHolder(stateDir);
  if (await holderAlive(stateDir, holder)) {
    throw lockedError({ held: `${stateDir} ${what}`, holder: describeHolder(holder), advice: 'a dry run copies the state and cannot do so safely while it is written — try again when that run has finished' });
  }
}

// The holder file and half-written status files belong to the process that wrote them, not to the copy.
function isRunFile(name: string): boolean {
  return name === 'holder.json' || /^\.status\.json\..*\.tmp$/.test(name);
}
