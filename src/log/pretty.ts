/** Options of the terminal formatter. */
export interface PrettyOptions {
  /** ANSI colours. @default false */
  readonly colors?: boolean;
  /** Fields left out of every line (pid, hostname, and the logger's base fields). */
  readonly hide?: readonly string[];
}

const LABELS: ReadonlyArray<readonly [number, string, string]> = [
  [60, 'FATAL', '\u001B[41;97m'],
  [50, 'ERROR', '\u001B[31m'],
  [40, 'WARN ', '\u001B[33m'],
  [30, 'INFO ', '\u001B[32m'],
  [20, 'DEBUG', '\u001B[34m'],
  [10, 'TRACE', '\u001B[90m'],
];
const RESET = '\u001B[0m';
/** A field whose JSON is longer than this is shown as `name={…}` on a terminal (a run's `summary`): the line stays readable; pipes and the journal keep it whole. */
const longestField = 80;
const DIM = '\u001B[2m';

/**
 * Turns one pino JSON line into a line a person reads at a terminal:
 * `03:00:01.234 INFO  [source] pages read  pages=3 chats=57`, then the error's stack, indented.
 * A line that is not a JSON object is returned as it came.
 */
export function formatPretty(line: string, options: PrettyOptions = {}): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return line;
    record = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const paint = (code: string, text: string) => (options.colors === true ? `${code}${text}${RESET}` : text);
  const { level, time, msg, err, stage, ...rest } = record;
  const hidden = new Set(['pid', 'hostname', ...(options.hide ?? [])]);

  const levelNumber = typeof level === 'number' ? level : 30;
  const [, label, color] = LABELS.find(([n]) => levelNumber >= n) ?? LABELS[LABELS.length - 1]!;
  const parts = [paint(DIM, clock(time)), paint(color, label)];
  if (typeof stage === 'string') parts.push(paint(DIM, `[${stage}]`));
  if (msg !== undefined) parts.push(String(msg));
  const fields = Object.entries(rest)
    .filter(([key, value]) => !hidden.has(key) && value !== undefined)
    .map(([key, value]) => `${paint(DIM, `${key}=`)}${typeof value === 'string' ? value : shortJson(value)}`);
  let out = parts.join(' ') + (fields.length > 0 ? `  ${fields.join(' ')}` : '');
  if (err !== null && typeof err === 'object') out += formatError(err as Record<string, unknown>);
  return `${out}\n`;
}

// An object or array too long for a terminal line is folded to {…} or […]; the JSON lines elsewhere keep it.
function shortJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json.length <= longestField || value === null || typeof value !== 'object') return json;
  return Array.isArray(value) ? '[…]' : '{…}';
}

function clock(time: unknown): string {
  const date = new Date(typeof time === 'string' || typeof time === 'number' ? time : Number.NaN);
  if (Number.isNaN(date.getTime())) return '--:--:--.---';
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function formatError(err: Record<string, unknown>): string {
  const { type, message, stack, ...extra } = err;
  const head = typeof stack === 'string' && stack !== '' ? stack : `${String(type ?? 'Error')}: ${String(message ?? '')}`;
  const fields = Object.entries(extra).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const lines = [...head.split('\n'), ...(fields.length > 0 ? [fields.join(' ')] : [])];
  return lines.map((text) => `\n    ${text}`).join('');
}
