import { McError } from '../errors.js';

/** What a refusal to use a held STATE_DIR says. */
export interface Locked {
  /** What holds it: "another memory-cron run holds STATE_DIR", or what a dry run found. */
  readonly held: string;
  /** The holder as describeHolder names it, when its file was read. */
  readonly holder?: string;
  /** What to do about it. */
  readonly advice?: string;
  readonly cause?: unknown;
}

/** The one MC_LOCKED error (exit 3): STATE_DIR is held by another run (README "Exit codes"). */
export function lockedError(locked: Locked): McError {
  const holder = locked.holder === undefined ? '' : ` (${locked.holder})`;
  const advice = locked.advice === undefined ? '' : `; ${locked.advice}`;
  return new McError('MC_LOCKED', `${locked.held}${holder}${advice}`, { cause: locked.cause });
}
