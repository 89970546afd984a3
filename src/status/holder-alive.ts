import type { Holder } from '../statedir/holder.js';
import { probeStateLock } from '../statedir/lock-probe.js';

/**
 * True when a process holds STATE_DIR — asked of its LevelDB lock (state/lock-probe.ts), never of the recorded
 * holder's pid, which the system may have given to another process since the run died (DESIGN §4: `status` and
 * `--dry-run` tell a live run from a dead one). The recorded holder (status.json, holder.json) stays what is shown
 * about it. Only when the lock cannot be tried (a read-only file system, another user's state) does the recorded pid
 * decide, as {@link pidAlive} does.
 */
export async function holderAlive(stateDir: string, holder: Holder | undefined): Promise<boolean> {
  const lock = await probeStateLock(stateDir);
  return lock.held ?? pidAlive(holder);
}

/** True when the recorded holder's pid names a live process (EPERM: alive, owned by someone else); the fallback of {@link holderAlive}. */
function pidAlive(holder: Holder | undefined): boolean {
  if (holder === undefined || !Number.isSafeInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
