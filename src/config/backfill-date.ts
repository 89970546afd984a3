import { McError } from '../errors.js';
import { isTimeZone, zonedInstant } from './zoned-time.js';

/** The zone a plain `--backfill` date is read in when neither `--tz` nor `TZ` names one. */
const defaultTimeZone = 'America/Chicago';

const plainDate = /^(\d{4})-(\d{2})-(\d{2})$/;
const localDateTime = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const zonedDateTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Reads `--backfill DATE` (DESIGN §5): a plain date is that day's midnight in `zone` (DST-correct), a timestamp
 * with `Z` or an offset is taken as given, and a timestamp without one is wall time in `zone`. Throws MC_CONFIG
 * naming `flag` (`reconcile --since` reads its date the same way).
 */
export function parseBackfillDate(text: string, zone: string, flag = '--backfill'): Date {
  const value = text.trim();
  if (zonedDateTime.test(value)) return checked(Date.parse(value.replace(' ', 'T')), text, flag, zone);
  const match = plainDate.exec(value) ?? localDateTime.exec(value);
  if (match === null) {
    throw new McError('MC_CONFIG', `${flag} ${JSON.stringify(text)} is not a date; ${acceptedForms(zone)}`);
  }
  if (!isTimeZone(zone)) {
    throw new McError('MC_CONFIG', `time zone ${JSON.stringify(zone)} (--tz or TZ) is not an IANA zone; use e.g. America/Chicago or UTC`);
  }
  const part = (index: number) => Number(match[index] ?? '0');
  const wall = { year: part(1), month: part(2), day: part(3), hour: part(4), minute: part(5), second: part(6), millisecond: Number((match[7] ?? '0').padEnd(3, '0')) };
  const probe = new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second));
  if (probe.getUTCMonth() !== wall.month - 1 || probe.getUTCDate() !== wall.day || wall.hour > 23 || wall.minute > 59 || wall.second > 59) {
    throw new McError('MC_CONFIG', `${flag} ${JSON.stringify(text)} is not a real date or time; ${acceptedForms(zone)}`);
  }
  return checked(zonedInstant(wall, zone), text, flag, zone);
}

/** The zone plain backfill dates are read in: `--tz`, else `TZ`, else America/Chicago. */
export function backfillTimeZone(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const fromEnv = env['TZ'];
  return flag ?? (fromEnv !== undefined && fromEnv !== '' && !fromEnv.startsWith(':') ? fromEnv : defaultTimeZone);
}

// The forms a date may take, for every refusal: an operator learns them from the first mistake.
function acceptedForms(zone: string): string {
  return `use a day like 2026-11-01 (midnight in ${zone}), a local time like 2026-11-01T06:00, or a timestamp like 2026-11-01T06:00:00Z`;
}

function checked(ms: number, text: string, flag: string, zone: string): Date {
  if (!Number.isFinite(ms)) throw new McError('MC_CONFIG', `${flag} ${JSON.stringify(text)} is not a real date or time; ${acceptedForms(zone)}`);
  return new Date(ms);
}
