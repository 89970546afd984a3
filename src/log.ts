import { hostname } from 'node:os';
import { isatty } from 'node:tty';
import { pino, type DestinationStream, type Logger } from 'pino';
import { McError } from './errors.js';
import { DailyFile, pruneDailyFiles } from './log/daily-file.js';
import { isJournalStream, journalPrefix } from './log/journal.js';
import { logLevels } from './log/levels.js';
import { formatPretty } from './log/pretty.js';
import { createScrubber } from './log/scrub.js';
import { writeAllSync } from './log/write-sync.js';

/** Options of {@link createLog}. */
export interface LogOptions {
  /** Where the JSON lines go. @default 'stdout' (dry-run and --json commands pass 'stderr') */
  readonly to?: 'stdout' | 'stderr';
  /** Also append to a daily file `memory-cron-YYYY-MM-DD.log` in this folder. */
  readonly logDir?: string | undefined;
  /** Daily files older than this many days are deleted at start. @default 14 */
  readonly retainDays?: number;
  /** pino level. @default 'info' (env LOG_LEVEL) */
  readonly level?: string;
  /** Strings that must never appear in any line (API key, webhook secret), of any length: taken out of every string value ("[redacted]", or another marker when a secret could meet that word) on every line, every level, every destination; each line stays one JSON object (log/scrub.ts). */
  readonly secrets?: readonly string[];
  /** Extra base fields (e.g. version, invocation). */
  readonly base?: Record<string, unknown>;
  /** Environment read for `LOG_LEVEL`, `JOURNAL_STREAM` and `NO_COLOR`. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Called before each line reaches the console (the progress line clears itself there). */
  readonly beforeWrite?: () => void;
}

/** The job's one logger and a way to make sure every line is out. */
export interface Log {
  readonly logger: Logger;
  /** flushes every destination; call before exit */
  flush(): Promise<void>;
}

/** How the chosen stream shows lines: journald with priorities, a person's terminal, or plain JSON. */
export type LogMode = 'journal' | 'pretty' | 'json';


/** An error in the logging settings: the job exits 2 naming the setting. */
function configError(message: string, cause?: unknown): McError {
  return new McError('MC_CONFIG', message, { cause });
}

/** Picks how lines are shown on `fd` (1 or 2). */
export function logMode(fd: number, env: NodeJS.ProcessEnv = process.env): LogMode {
  if (isJournalStream(fd, env.JOURNAL_STREAM)) return 'journal';
  return isatty(fd) ? 'pretty' : 'json';
}

/**
 * Creates the job's pino logger. Every line is serialized once, scrubbed of the secrets, then
 * written synchronously to stdout/stderr (with journald priority prefixes, readable, or plain
 * JSON) and, with `logDir`, appended as plain JSON to the day's file.
 */
export function createLog(options: LogOptions = {}): Log {
  const env = options.env ?? process.env;
  const level = options.level ?? env.LOG_LEVEL ?? 'info';
  if (!logLevels.includes(level)) {
    throw configError(`LOG_LEVEL must be one of ${logLevels.join(', ')}; got ${JSON.stringify(level)}`);
  }
  const retainDays = options.retainDays ?? 14;
  if (!(Number.isInteger(retainDays) && retainDays >= 0) && retainDays !== Number.POSITIVE_INFINITY) {
    throw new TypeError(`Expected \`retainDays\` to be a non-negative integer, got ${retainDays}`);
  }

  const fd = options.to === 'stderr' ? 2 : 1;
  const mode = logMode(fd, env);
  const base = { pid: process.pid, hostname: hostname(), ...options.base };
  const scrub = createScrubber(options.secrets ?? []);
  const colors = mode === 'pretty' && (env.NO_COLOR ?? '') === '';
  const hide = Object.keys(options.base ?? {});

  let file: DailyFile | undefined;
  let pruneFailures: Error[] = [];
  if (options.logDir !== undefined && options.logDir !== '') {
    try {
      file = new DailyFile(options.logDir, new Date());
      pruneFailures = pruneDailyFiles(options.logDir, retainDays, new Date());
    } catch (error) {
      throw configError(`LOG_DIR ${options.logDir} cannot be written: ${(error as Error).message}`, error);
    }
  }

  let consoleBroken = false;
  const stream: DestinationStream & { lastLevel: number } = {
    [Symbol.for('pino.metadata')]: true,
    lastLevel: 30,
    write(line: string): void {
      const clean = scrub(line);
      if (!consoleBroken) {
        options.beforeWrite?.();
        const text = mode === 'journal' ? journalPrefix(this.lastLevel) + clean : mode === 'pretty' ? formatPretty(clean, { colors, hide }) : clean;
        try {
          writeAllSync(fd, text);
        } catch {
          consoleBroken = true; // EPIPE and the like: nobody is reading; the file, if any, still is.
        }
      }
      if (file !== undefined) {
        try {
          file.write(clean);
        } catch (error) {
          // A full or vanished disk must not stop the job: say so once, on the console only.
          file = undefined;
          logger.error({ err: error, logDir: options.logDir }, 'log file cannot be written; logging to the console only');
        }
      }
    },
  };

  const logger = pino(
    {
      level,
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: pino.stdSerializers.err },
    },
    stream,
  );
  for (const err of pruneFailures) logger.warn({ err, logDir: options.logDir }, 'old log file could not be deleted');

  return {
    logger,
    flush(): Promise<void> {
      try {
        file?.flush();
      } catch {
        // fsync refused (full disk): every line was already written.
      }
      return Promise.resolve();
    },
  };
}
