import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { McError } from '../errors.js';
import { stateError } from './state-error.js';

// STATE_DIR holds chat text (DESIGN §4): it and everything in it are for the job's user alone, 0700 folders and 0600
// files, whatever the umask the job was started with (systemd's UMask=0077 or a shell's 022).

const groupAndOthers = 0o077;

/** What to do with a STATE_DIR other users can reach. */
export interface PermissionOptions {
  /** `--fix-permissions`: take every group and other permission away (chmod -R go-rwx) instead of refusing. @default false */
  readonly fix?: boolean;
}

/**
 * Creates STATE_DIR owner-only, or checks an existing one: a folder other users can read, write or enter is refused
 * (MC_STATE_EXPOSED, exit 7, naming the fix) unless `fix` is set, which mends it. Whatever lies inside an owner-only
 * folder with wider modes (files an older version wrote under umask 022) is narrowed to owner-only on the way.
 */
export async function guardStateDir(stateDir: string, options: PermissionOptions = {}): Promise<void> {
  let mode: number;
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    mode = (await stat(stateDir)).mode & 0o777;
  } catch (error) {
    throw stateError(error, stateDir, 'creating the folder');
  }
  if ((mode & groupAndOthers) !== 0 && options.fix !== true) throw exposed(stateDir, mode);
  try {
    await ownerOnly(stateDir);
  } catch (error) {
    throw stateError(error, stateDir, 'making it owner-only');
  }
}

/** Refuses (MC_STATE_EXPOSED) an existing STATE_DIR other users can reach, changing nothing (`--dry-run`'s copy). */
export async function refuseExposed(stateDir: string): Promise<void> {
  const mode = (await stat(stateDir)).mode & 0o777;
  if ((mode & groupAndOthers) !== 0) throw exposed(stateDir, mode);
}

function exposed(stateDir: string, mode: number): McError {
  const octal = mode.toString(8).padStart(4, '0');
  return new McError('MC_STATE_EXPOSED', `${stateDir} is open to other users (mode ${octal}) and holds chat text; run once with --fix-permissions, or chmod -R go-rwx ${stateDir} — nothing was read or changed`, { details: { mode: octal } });
}

/** Takes group and other permissions off `path` and, for a folder, everything under it (symbolic links left alone). */
export async function ownerOnly(path: string): Promise<void> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) return;
  if (info.isDirectory()) {
    for (const name of await readdir(path)) await ownerOnly(join(path, name));
  }
  if ((info.mode & groupAndOthers) !== 0) await chmod(path, info.mode & 0o7700);
}

let held = 0;
let before = 0;

/**
 * Sets the process umask to 077 while a state is open (LevelDB creates its tables, logs and MANIFEST with mode 0644
 * from its own threads at any time), and returns the function that gives the previous umask back once the last
 * open state closes.
 */
export function holdOwnerOnlyUmask(): () => void {
  if (held++ === 0) before = process.umask(0o077);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held === 0) process.umask(before);
  };
}
