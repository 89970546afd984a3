import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { McError } from '../errors.js';
import { stateError } from './state-error.js';

// STATE_DIR holds chat text (DESIGN §4): it and everything in it are for the job's user alone, 0700 folders and 0600
// files, whatever the umask the job was started with (systemd's UMask=0077 or a shell's 022).

const groupAndOthers = 0o077;
/** Every permission bit, setuid, setgid and sticky included: a setgid 2770 folder shows as 2770, not 0770. */
const permissionBits = 0o7777;

/** What to do with a STATE_DIR other users can reach. */
export interface PermissionOptions {
  /** `--fix-permissions`: take every group and other permission away (chmod -R go-rwx) instead of refusing. @default false */
  readonly fix?: boolean;
}

/**
 * Creates STATE_DIR owner-only, or checks an existing one (DESIGN §4): a folder holding state that other users can
 * read, write or enter is refused (MC_STATE_EXPOSED, exit 7, naming the fix) unless `fix` is set, which mends it; one
 * holding no state yet (empty, or only the checkout's `.gitkeep`) is simply made owner-only. Whatever lies inside an
 * owner-only folder with wider modes (files an older version wrote under umask 022) is narrowed on the way.
 */
export async function guardStateDir(stateDir: string, options: PermissionOptions = {}): Promise<void> {
  let mode: number;
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    mode = (await stat(stateDir)).mode & permissionBits;
  } catch (error) {
    throw stateError(error, stateDir, 'creating the folder');
  }
  if ((mode & groupAndOthers) !== 0 && options.fix !== true && !(await holdsNoState(stateDir))) throw exposed(stateDir, mode);
  try {
    await ownerOnly(stateDir);
  } catch (error) {
    throw stateError(error, stateDir, 'making it owner-only');
  }
}

/** What {@link guardStateDir} would do with STATE_DIR, found without changing anything. */
export type StateDirVerdict =
  /** It does not exist yet: a run creates it owner-only. */
  | { readonly found: 'absent' }
  /** A folder other users cannot reach (its mode, e.g. "0700" or "2700"). */
  | { readonly found: 'owner-only'; readonly mode: string }
  /** A folder other users can reach that holds no state yet (a fresh clone's `./state`): a run makes it owner-only. */
  | { readonly found: 'unclaimed'; readonly mode: string }
  /** A folder other users can reach, and `fix` was given: a run would make it owner-only. */
  | { readonly found: 'exposed'; readonly mode: string; readonly message: string };

/**
 * Judges STATE_DIR as {@link guardStateDir} would, read-only (`check`): a folder other users can reach is refused
 * with the same MC_STATE_EXPOSED error a run gives, unless `fix` is set, when the verdict says a run with
 * `--fix-permissions` would mend it; a path that is there but no folder, or cannot be looked at, fails as a run
 * creating the folder would (MC_STATE_DAMAGED or MC_STATE_UNWRITABLE, exit 7). Nothing is created or changed.
 */
export async function judgeStateDir(stateDir: string, options: PermissionOptions = {}): Promise<StateDirVerdict> {
  let mode: number;
  try {
    const info = await stat(stateDir);
    if (!info.isDirectory()) throw new Error('it is there but is not a folder');
    mode = info.mode & permissionBits;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { found: 'absent' };
    throw stateError(error, stateDir, 'creating the folder');
  }
  if ((mode & groupAndOthers) === 0) return { found: 'owner-only', mode: octal(mode) };
  if (await holdsNoState(stateDir)) return { found: 'unclaimed', mode: octal(mode) };
  if (options.fix !== true) throw exposed(stateDir, mode);
  return { found: 'exposed', mode: octal(mode), message: `${stateDir} is open to other users (mode ${octal(mode)}) and holds chat text; a run with --fix-permissions would make it and everything in it owner-only (chmod -R go-rwx) — check changed nothing` };
}

// Nothing but the checkout's placeholder: no chat text can have been exposed, so there is nothing to refuse.
const placeholders = new Set(['.gitkeep']);

/** True when `dir` holds no state yet: it is empty or holds only a `.gitkeep` file (DESIGN §4). */
async function holdsNoState(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.every((entry) => entry.isFile() && placeholders.has(entry.name));
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

function exposed(stateDir: string, mode: number): McError {
  return new McError('MC_STATE_EXPOSED', `${stateDir} is open to other users (mode ${octal(mode)}) and holds chat text; run once with --fix-permissions, or chmod -R go-rwx ${stateDir} — nothing was read or changed`, { details: { mode: octal(mode) } });
}

/** Takes group and other permissions off `path` and, for a folder, everything under it (symbolic links left alone). */
async function ownerOnly(path: string): Promise<void> {
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
