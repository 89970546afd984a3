import { mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { Level } from 'level';
import { codesOf, messagesOf } from './state-error.js';

/**
 * What STATE_DIR's LevelDB lock says: `held` (a process has the database open), `free` (none has), or `unknown`
 * with the reason the lock could not be tried (LOCK cannot be opened for writing: a read-only file system, another
 * user's state).
 */
export type LockProbe = { readonly held: true } | { readonly held: false } | { readonly held: undefined; readonly reason: string };

// The LevelDB folders this process has open (claimStateDir), which the probe must never touch: see probeStateLock.
const openHere = new Set<string>();

/** Records that this process holds `dbDir`'s lock (statedir/state-dir.ts), so {@link probeStateLock} answers `held` without trying it. */
export function noteOpenHere(dbDir: string): void {
  openHere.add(resolve(dbDir));
}

/** Forgets {@link noteOpenHere} once the database is closed. */
export function forgetOpenHere(dbDir: string): void {
  openHere.delete(resolve(dbDir));
}

/**
 * Asks STATE_DIR's LevelDB lock itself whether a run holds the state (DESIGN §4: `status` and `--dry-run` must not
 * take a recorded pid, which the system may have given to another process since, for a live run). LevelDB holds a
 * POSIX record lock (`fcntl(F_SETLK)`) on `STATE_DIR/db/LOCK` for as long as a process has the database open; the
 * kernel drops it when that process dies, even by SIGKILL.
 *
 * The lock is tried without opening the state: a LevelDB is opened in a fresh temporary folder whose `LOCK` is a
 * symbolic link to the state's, with `createIfMissing: false`. LevelDB takes the lock first (LEVEL_LOCKED when
 * another process holds it: `held`), then finds no database there and gives up, releasing it at once (`free`); its
 * info log and everything else it writes stay in the temporary folder, so no byte of STATE_DIR changes (the dry
 * run's copy is compared byte for byte). The lock is held for the instant of that attempt; claimStateDir retries a
 * lock it finds taken for a moment, so a run starting just then does not exit 3.
 *
 * POSIX record locks belong to a process, and closing any descriptor of the file drops them all: tried from the
 * process that has the state open, the attempt would release that process's own lock. So a folder this process
 * opened (claimStateDir notes it) is answered `held` without trying. A STATE_DIR without `db/LOCK` (nothing has run)
 * is `free`. Never throws; a lock that cannot be tried is `unknown` (then the callers fall back to the recorded pid).
 */
export async function probeStateLock(stateDir: string): Promise<LockProbe> {
  const dbDir = resolve(stateDir, 'db');
  if (openHere.has(dbDir)) return { held: true };
  const lockFile = join(dbDir, 'LOCK');
  try {
    await stat(lockFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { held: false } : { held: undefined, reason: `${lockFile}: ${code ?? (error as Error).message}` };
  }
  let probeDir: string;
  try {
    probeDir = await mkdtemp(join(tmpdir(), 'memory-cron-lock-probe-'));
  } catch (error) {
    return { held: undefined, reason: `cannot make a folder in ${tmpdir()} (TMPDIR): ${(error as Error).message}` };
  }
  try {
    await symlink(lockFile, join(probeDir, 'LOCK'));
    const db = new Level(probeDir);
    try {
      await db.open({ createIfMissing: false });
    } catch (error) {
      if (codesOf(error).includes('LEVEL_LOCKED')) return { held: true };
      if (/does not exist \(create_if_missing is false\)/.test(messagesOf(error))) return { held: false };
      return { held: undefined, reason: messagesOf(error) };
    }
    await db.close();
    return { held: undefined, reason: `${probeDir} opened as a database` };
  } catch (error) {
    return { held: undefined, reason: (error as Error).message };
  } finally {
    await rm(probeDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * How often, and how long apart (ms), a lock found taken is tried again before the state counts as held: `status`
 * and `--dry-run` take the lock for the instant of a probe (lock-probe.ts, well under a millisecond), and a run
 * starting at that instant must not exit 3 for it. A run really holding the state is refused 100 ms later.
 */
const lockAttempts = { times: 5, apartMs: 25 } as const;

/** Opens LevelDB, trying again while its lock is taken for a moment by a probe (lockAttempts); any other failure at once. */
export async function openWaitingOutAProbe(db: { open(): Promise<void> }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.open();
      return;
    } catch (error) {
      if (attempt >= lockAttempts.times || !codesOf(error).includes('LEVEL_LOCKED')) throw error;
      await sleep(lockAttempts.apartMs);
    }
  }
}
