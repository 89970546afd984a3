import { writeSync } from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Longest a single line may wait on a full pipe before its destination is given up. */
const MAX_BLOCKED_MS = 10_000;

/**
 * Writes all of `data` to `fd` before returning, so a `process.exit()` right after loses nothing.
 * A pipe or socket that Node made non-blocking answers EAGAIN when full: wait a little and retry.
 */
export function writeAllSync(fd: number, data: string): void {
  let buf = Buffer.from(data, 'utf8');
  let blocked = 0;
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
      blocked = 0;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'EAGAIN' && code !== 'EBUSY') || blocked >= MAX_BLOCKED_MS) throw error;
      Atomics.wait(sleeper, 0, 0, 10);
      blocked += 10;
    }
  }
}
