import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { McError } from '../errors.js';

// LevelDB (classic-level has no paranoid_checks) drops write-ahead-log records that fail their checksum while it
// recovers on open, says so only in its info LOG, and deletes the log: a run would then go on without staged chats
// or marks, losing or resending them (DESIGN §4). Such a state is refused, and keeps being refused (a marker file
// beside the database) until the operator restores STATE_DIR or accepts the loss by deleting the marker.

const fileName = 'damaged.json';

/** Refuses a STATE_DIR an earlier open found damaged; reads nothing else and rewrites nothing. */
export async function refuseMarkedDamaged(stateDir: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(stateDir, fileName), 'utf8');
  } catch {
    return;
  }
  const found = firstFound(text) ?? `see ${fileName}`;
  throw new McError('MC_STATE_DAMAGED', `state in ${stateDir} was found damaged (LevelDB left out unreadable parts of its log: ${found}); restore ${stateDir} from a backup, or delete ${join(stateDir, fileName)} to go on with what is left (a --backfill then re-reads lost chats)`);
}

/** Refuses, and marks, a database whose opening just dropped damaged log records (LevelDB's LOG says so). */
export async function refuseDroppedRecords(stateDir: string, dbDir: string): Promise<void> {
  const log = await readFile(join(dbDir, 'LOG'), 'utf8').catch(() => '');
  const found = log.split('\n').filter((line) => /dropping \d+ bytes|Corruption:/.test(line)).map((line) => line.replace(/^\S+ \S+ (\(ignoring error\) )?/, '').replace(`${dbDir}/`, ''));
  if (found.length === 0) return;
  const marker = `${JSON.stringify({ at: new Date().toISOString(), found }, null, 2)}\n`;
  await writeFile(join(stateDir, fileName), marker, { mode: 0o600 }).catch(() => undefined); // refused all the same
  throw new McError('MC_STATE_DAMAGED', `state in ${stateDir} is damaged: opening it, LevelDB left out unreadable parts of its log (${found[0]}); restore ${stateDir} from a backup, or delete ${join(stateDir, fileName)} to go on with what is left (a --backfill then re-reads lost chats)`);
}

function firstFound(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { found?: string[] }).found?.[0];
  } catch {
    return undefined;
  }
}

/** LevelDB silently creates a fresh, empty database when CURRENT is missing: refuses that (MC_STATE_DAMAGED) instead of resetting history. */
export async function refuseHeadlessDatabase(stateDir: string, dbDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dbDir);
  } catch {
    return;
  }
  const hasData = names.some((name) => /^(MANIFEST-|\d+\.(ldb|log|sst)$)/.test(name));
  if (hasData && !names.includes('CURRENT')) {
    throw new McError('MC_STATE_DAMAGED', `state in ${stateDir} is damaged: db/CURRENT is missing; restore ${stateDir} from a backup — nothing was rewritten`);
  }
}
