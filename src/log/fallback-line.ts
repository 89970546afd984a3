import { hostname } from 'node:os';
import { isatty } from 'node:tty';
import { causeField, failureOf, isMcError } from '../errors.js';
import { isJournalStream, journalPrefix } from './journal.js';

/**
 * The line for a failure that happens before a logger exists (a bad flag or setting, a bug at start), shaped as the
 * logger's own lines are (log.ts logMode): under systemd (stdout or stderr is the journal, DESIGN §6) one pino-shaped
 * JSON object behind its `<3>` priority; in a pipe or file (a container, cron) the same object alone, so every line a
 * run writes parses as JSON; on a terminal, `memory-cron: CODE: message` for a person.
 */
export function fallbackLine(error: unknown, env: NodeJS.ProcessEnv, version: string): string {
  const { code, message } = failureOf(error);
  const journal = isJournalStream(2, env['JOURNAL_STREAM']) || isJournalStream(1, env['JOURNAL_STREAM']);
  if (!journal && isatty(2)) return `memory-cron: ${code}: ${isMcError(error) ? message : ((error as Error)?.stack ?? message)}\n`;
  const line = {
    level: 50,
    time: new Date().toISOString(),
    pid: process.pid,
    hostname: hostname(),
    version,
    ...(env['INVOCATION_ID'] ? { invocation: env['INVOCATION_ID'] } : {}),
    code,
    ...causeField(error),
    ...(isMcError(error) || !(error instanceof Error) ? {} : { stack: error.stack }),
    msg: message,
  };
  return `${journal ? journalPrefix(50) : ''}${JSON.stringify(line)}\n`;
}
