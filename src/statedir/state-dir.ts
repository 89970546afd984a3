import { join } from 'node:path';
import { refuseDroppedRecords, refuseHeadlessDatabase, refuseMarkedDamaged } from './damage-marker.js';
import { describeHolder, readHolder, removeHolder, writeHolder } from './holder.js';
import { forgetOpenHere, noteOpenHere, openWaitingOutAProbe } from './lock-probe.js';
import { lockedError } from './locked-error.js';
import { guardStateDir, holdOwnerOnlyUmask } from './permissions.js';
import { stateError } from './state-error.js';
import { removeStaleStatusTemporaries } from './status-file.js';

/** A LevelDB handle, made but not opened yet (classic-level's `new Level(dbDir)`). */
interface Database {
  open(): Promise<void>;
  close(): Promise<void>;
}

/** How to claim STATE_DIR. */
interface ClaimOptions {
  /** The command line that claims it, recorded as its holder (holder.json). */
  readonly command: string;
  /** `--fix-permissions`: make a STATE_DIR other users can reach owner-only instead of refusing it. */
  readonly fixPermissions: boolean;
}

/** STATE_DIR held by this process: its database open and locked, this process recorded as its holder. */
export interface ClaimedStateDir<D extends Database> {
  readonly db: D;
  /** Gives STATE_DIR back: forgets the holder, closes the database (its lock goes), restores the umask. */
  release(): Promise<void>;
}

/**
 * Claims STATE_DIR for this process (DESIGN §4), in this order: holds the owner-only umask; creates the folder
 * owner-only, or refuses one other users can reach (MC_STATE_EXPOSED, permissions.ts); refuses a state marked
 * damaged and a database without CURRENT (MC_STATE_DAMAGED, damage-marker.ts); opens the database `newDatabase` makes
 * for `STATE_DIR/db`, waiting out a lock probe (MC_LOCKED naming the holder when another run has it, lock-probe.ts);
 * refuses it when LevelDB dropped damaged log records opening it; records this process as the holder (holder.json)
 * and removes the status temporaries a killed run left. Any failure gives back what was taken and is thrown as an
 * McError (state-error.ts).
 */
export async function claimStateDir<D extends Database>(stateDir: string, options: ClaimOptions, newDatabase: (dbDir: string) => D): Promise<ClaimedStateDir<D>> {
  const dbDir = join(stateDir, 'db');
  const releaseUmask = holdOwnerOnlyUmask();
  try {
    await guardStateDir(stateDir, { fix: options.fixPermissions });
    await refuseMarkedDamaged(stateDir);
    await refuseHeadlessDatabase(stateDir, dbDir);
    const db = newDatabase(dbDir);
    await openLocked(db, stateDir);
    noteOpenHere(dbDir);
    const close = async () => {
      try {
        await db.close();
      } finally {
        forgetOpenHere(dbDir);
        releaseUmask();
      }
    };
    try {
      await refuseDroppedRecords(stateDir, dbDir);
      await writeHolder(stateDir, options.command);
      await removeStaleStatusTemporaries(stateDir);
    } catch (error) {
      await close();
      throw stateError(error, stateDir, 'claiming the folder');
    }
    const release = async () => {
      await removeHolder(stateDir).catch(() => undefined);
      await close();
    };
    return { db, release };
  } catch (error) {
    releaseUmask();
    throw error;
  }
}

// Opens the database; a lock another run holds (beyond a probe's instant) is MC_LOCKED naming that run.
async function openLocked(db: Database, stateDir: string): Promise<void> {
  try {
    await openWaitingOutAProbe(db);
  } catch (error) {
    const problem = stateError(error, stateDir, 'opening LevelDB');
    if (problem.code !== 'MC_LOCKED') throw problem;
    const holder = describeHolder(await readHolder(stateDir));
    throw lockedError({ held: `another memory-cron run holds ${stateDir}`, holder, advice: 'wait for it to finish, or stop it', cause: error });
  }
}
