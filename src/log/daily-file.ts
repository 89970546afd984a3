import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeAllSync } from './write-sync.js';

const NAME = /^memory-cron-(\d{4}-\d{2}-\d{2})\.log$/;

/** `YYYY-MM-DD` of `date` in the process's local time zone (`TZ`). */
function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The name of the daily log file for `date`. */
export function dailyFileName(date: Date): string {
  return `memory-cron-${localDay(date)}.log`;
}

/**
 * Deletes our daily files dated more than `retainDays` days before `now` (file names, not mtimes,
 * carry the date; other files in the folder are never touched). Returns what could not be deleted.
 */
export function pruneDailyFiles(dir: string, retainDays: number, now: Date): Error[] {
  if (!Number.isFinite(retainDays)) return [];
  const oldestKept = localDay(new Date(now.getFullYear(), now.getMonth(), now.getDate() - retainDays));
  const failures: Error[] = [];
  for (const name of readdirSync(dir)) {
    const day = NAME.exec(name)?.[1];
    if (day === undefined || day >= oldestKept) continue;
    try {
      unlinkSync(join(dir, name));
    } catch (error) {
      failures.push(error as Error);
    }
  }
  return failures;
}

/** Appends lines to `memory-cron-YYYY-MM-DD.log` in `dir`, moving to the next file at midnight. */
export class DailyFile {
  readonly #dir: string;
  #day = '';
  #fd = -1;

  /** Creates `dir` (0700) when missing; throws when it cannot be created or written. */
  constructor(dir: string, now: Date) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#open(now);
  }

  write(line: string, now = new Date()): void {
    if (localDay(now) !== this.#day) this.#open(now);
    writeAllSync(this.#fd, line);
  }

  flush(): void {
    if (this.#fd >= 0) fsyncSync(this.#fd);
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  #open(now: Date): void {
    const fd = openSync(join(this.#dir, dailyFileName(now)), 'a', 0o600);
    this.close();
    this.#fd = fd;
    this.#day = localDay(now);
  }
}
