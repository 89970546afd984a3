import { fstatSync } from 'node:fs';

/**
 * True when `fd` is the stream systemd connected to the journal: `JOURNAL_STREAM` holds its
 * `DEVICE:INODE`, and it still names this fd (a child whose output was redirected inherits the
 * variable but not the stream).
 */
export function isJournalStream(fd: number, journalStream: string | undefined): boolean {
  const match = /^(\d+):(\d+)$/.exec(journalStream?.trim() ?? '');
  if (match === null) return false;
  try {
    const stat = fstatSync(fd, { bigint: true });
    return stat.dev === BigInt(match[1] as string) && stat.ino === BigInt(match[2] as string);
  } catch {
    return false;
  }
}

/** The syslog priority prefix journald reads off the front of a line, for a pino level number. */
export function journalPrefix(level: number): string {
  if (level >= 50) return '<3>'; // error, fatal
  if (level >= 40) return '<4>'; // warn
  if (level >= 30) return '<6>'; // info
  return '<7>'; // debug, trace
}
