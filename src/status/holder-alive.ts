import type { Holder } from '../state/holder.js';

/** True when the recorded holder's process is still alive (EPERM: alive, owned by someone else). */
export function holderAlive(holder: Holder | undefined): boolean {
  if (holder === undefined || !Number.isSafeInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
