import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Who holds STATE_DIR: written beside the LevelDB lock so a second run can say who it is waiting for. */
export interface Holder {
  readonly pid: number;
  readonly command: string;
  readonly startedAt: string;
}

const fileName = 'holder.json';

/** Records this process as the holder of `stateDir`. */
export async function writeHolder(stateDir: string, command: string): Promise<void> {
  const holder: Holder = { pid: process.pid, command, startedAt: new Date().toISOString() };
  await writeFile(join(stateDir, fileName), `${JSON.stringify(holder)}\n`, { mode: 0o600 });
}

/** The recorded holder of `stateDir`, or undefined when none is recorded or the file is unreadable. */
export async function readHolder(stateDir: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, fileName), 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/** Forgets the holder; called when the lock is released. */
export async function removeHolder(stateDir: string): Promise<void> {
  await rm(join(stateDir, fileName), { force: true });
}

/** "pid 123, `memory-cron run`, since 2026-11-24T09:00:00.000Z" — or a plain phrase when unknown. */
export function describeHolder(holder: Holder | undefined): string {
  return holder === undefined ? 'holder unknown' : `pid ${holder.pid}, \`${holder.command}\`, since ${holder.startedAt}`;
}
