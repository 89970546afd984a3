import { McError, causeChain, isMcError } from '../errors.js';
import { lockedError } from './locked-error.js';

/** Turns a LevelDB failure into one of our state errors, naming the problem and what to do. */
export function stateError(error: unknown, stateDir: string, doing: string): McError {
  if (isMcError(error)) return error;
  const codes = codesOf(error);
  const text = messagesOf(error);
  if (codes.includes('LEVEL_LOCKED')) {
    return lockedError({ held: `another memory-cron run holds ${stateDir}`, cause: error });
  }
  if (codes.includes('LEVEL_DECODE_ERROR') || codes.includes('LEVEL_CORRUPTION') || /corrupt/i.test(text)) {
    return new McError('MC_STATE_DAMAGED', `state in ${stateDir} is damaged (${doing}: ${firstLine(text)}); restore ${stateDir} from a backup — nothing was rewritten`, { cause: error });
  }
  if (/read-only|EROFS|EACCES|EPERM|permission denied|ENOSPC|no space|EDQUOT|quota/i.test(text)) {
    return new McError('MC_STATE_UNWRITABLE', `cannot write state in ${stateDir} (${doing}: ${firstLine(text)}); free space or fix permissions, then run again — nothing was lost`, { cause: error });
  }
  return new McError('MC_STATE_DAMAGED', `state in ${stateDir} cannot be used (${doing}: ${firstLine(text)}); check the folder, restore it from a backup if needed`, { cause: error });
}

/**
 * How every command maps a failure while it works on the state (README "Error codes"): a LevelDB error (a `LEVEL_…`
 * code on its cause chain) becomes a state error (stateError: exit 3 or 7); our McErrors and anything else (a bug,
 * exit 1) pass through unchanged.
 */
export function asStateError(error: unknown, stateDir: string, doing: string): unknown {
  return !isMcError(error) && codesOf(error).some((code) => code.startsWith('LEVEL_')) ? stateError(error, stateDir, doing) : error;
}

/** The string `code`s along an error's cause chain (LevelDB's `LEVEL_…`, the OS's `ENOSPC`, …). */
export function codesOf(error: unknown): string[] {
  return [...causeChain(error)].flatMap((e) => {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? [code] : [];
  });
}

/** The messages along an error's cause chain, outermost first, joined by ": ". */
export function messagesOf(error: unknown): string {
  return [...causeChain(error)].map((e) => e.message).join(': ');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
