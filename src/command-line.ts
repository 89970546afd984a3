import { safeOrigin, safeUrl } from './http/safe-url.js';

// Flags whose value is a URL, and how much of it may be shown (a webhook's path may be its token).
const urlFlags: Record<string, (url: string) => string> = { '--webhook-url': safeOrigin, '--retract-webhook-url': safeOrigin, '--base-url': safeUrl };

/**
 * The command line as status.json, the holder file and the log record it (`memory-cron run --backfill …`): URL
 * flags' values shown as safely as everywhere else (the webhook as origin and `/…`, BASE_URL without credentials or
 * query). Secrets are never flags (`--api-key` and `--webhook-secret` are refused), so nothing else is hidden.
 */
export function shownCommandLine(args: readonly string[]): string {
  const shown = args.map((arg, i) => {
    const [flag, value] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (value !== undefined && urlFlags[flag] !== undefined) return `${flag}=${urlFlags[flag](value)}`;
    const before = args[i - 1];
    return before !== undefined && urlFlags[before] !== undefined ? urlFlags[before](arg) : arg;
  });
  return ['memory-cron', ...shown].join(' ');
}
