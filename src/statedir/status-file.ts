import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stateError } from './state-error.js';

const fileName = 'status.json';

/** Deletes temporary status files a killed run left behind (call while holding the lock). */
export async function removeStaleStatusTemporaries(stateDir: string): Promise<void> {
  const names = await readdir(stateDir).catch(() => []);
  await Promise.all(names.filter((name) => name.startsWith(`.${fileName}.`) && name.endsWith('.tmp')).map((name) => rm(join(stateDir, name), { force: true })));
}

/** Path of the status file that `memory-cron status` reads instead of opening LevelDB. */
export function statusPath(stateDir: string): string {
  return join(stateDir, fileName);
}

/** Rewrites STATE_DIR/status.json atomically (write a temporary file, then rename over). */
export async function writeStatusFile(stateDir: string, status: unknown): Promise<void> {
  const tmp = join(stateDir, `.${fileName}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, statusPath(stateDir));
  } catch (error) {
    throw stateError(error, stateDir, `writing ${fileName}`); // a full disk or a read-only folder is not a bug
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The parsed status file, or undefined when no run has written one yet. */
export async function readStatusFile<T>(stateDir: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(statusPath(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}
