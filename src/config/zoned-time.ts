// Wall-clock time in an IANA zone, resolved with Intl alone (no time-zone library): DST gaps and overlaps included.

/** A local date and time as a person writes it; months 1–12. */
export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const hourMs = 3_600_000;

/** True when `zone` is an IANA time zone this Node knows (e.g. America/Chicago, UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The instant a wall time names in `zone`. An ambiguous time (the hour repeated when DST ends) is its earlier
 * instant; a time that does not exist (skipped when DST starts) is the first instant after the gap — so the
 * midnight of a day whose midnight is skipped is the day's first instant.
 */
export function zonedInstant(wall: WallTime, zone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond);
  // Every offset the zone uses around that time; one of them is the right one.
  const offsets = new Set([-24, -12, 0, 12, 24].map((h) => offsetAt(asUtc + h * hourMs, zone)));
  const candidates = [...offsets].map((offset) => asUtc - offset).sort((a, b) => a - b);
  const exact = candidates.find((t) => utcOfWall(wallAt(t, zone)) === asUtc);
  if (exact !== undefined) return exact;
  // In a gap: the earliest candidate whose local time is past the asked one.
  return candidates.find((t) => utcOfWall(wallAt(t, zone)) > asUtc) ?? (candidates.at(-1) as number);
}

/** The zone's offset from UTC at `instant`, in ms (America/Chicago in winter: −6 h). */
function offsetAt(instant: number, zone: string): number {
  return utcOfWall(wallAt(instant, zone)) - instant;
}

/** The wall time in `zone` at `instant`. */
function wallAt(instant: number, zone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const get = (name: string) => parts[name] ?? 0;
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second'), millisecond: ((instant % 1000) + 1000) % 1000 };
}

function utcOfWall(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond);
}

function formatter(zone: string): Intl.DateTimeFormat {
  let found = formatters.get(zone);
  if (found === undefined) {
    found = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, found);
  }
  return found;
}
