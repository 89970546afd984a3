const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90m`, `1h`, `1.5h`, `2d`, `45s`, `500ms`; a bare number is in `bareUnit`. Returns undefined when unreadable. */
export function parseDuration(text: string, bareUnit: 'h' | 'm' | 's' | 'ms'): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (match === null) return undefined;
  const ms = Number(match[1]) * (units[match[2] ?? bareUnit] ?? Number.NaN);
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}
