import { backfillTimeZone, parseBackfillDate } from './config/backfill-date.js';
import { parseDuration } from './config/duration.js';
import { refuseMissingSettings } from './config/missing-settings.js';
import { monitoringSettings, type MonitoringSettings } from './config/monitoring-settings.js';
import { readSecret } from './config/secrets.js';
import { proxySecrets } from './config/proxy-settings.js';
import { webhookHeaders, type WebhookHeaders } from './config/webhook-headers.js';
import { httpUrl } from './config/http-url.js';
import { refuseSetting as fail } from './config/refuse-setting.js';
import { logLevels } from './log/levels.js';

/** Where chats come from. */
export type SourceConfig =
  | { readonly kind: 'api'; readonly baseUrl: string; readonly apiKey: string }
  | { readonly kind: 'file'; readonly path: string };

/** One validated configuration for a run; built once by `loadConfig`, read-only afterwards. */
export interface Config extends MonitoringSettings {
  /** Undefined for commands that do not read the source (status, dead-letters). */
  readonly source: SourceConfig | undefined;
  /** Undefined for commands that do not post (status, --dry-run). */
  readonly webhookUrl: string | undefined;
  /** Standard Webhooks secret; deliveries are unsigned when undefined. */
  readonly webhookSecret: string | undefined;
  /** Static headers sent with every webhook request and `check`'s probe (`--webhook-headers-file` > `WEBHOOK_HEADERS_FILE` > the `webhook-headers` credential); {} for commands that do not post. @default {} */
  readonly webhookHeaders: WebhookHeaders;
  /** The proxies' passwords and `user:password` (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY), for the logger to scrub; checked at start. */
  readonly proxySecrets: readonly string[];
  /** Where retractions go (`RETRACT_WEBHOOK_URL`, DESIGN §3b; may equal WEBHOOK_URL); unset, changes to sent chats are only counted. @default unset */
  readonly retractWebhookUrl: string | undefined;
  /** The conversation gap. @default 1 h (CONVERSATION_HOUR_WINDOW) */
  readonly gapMs: number;
  /** A conversation spans at most this from its first turn; the next turn opens the next part (DESIGN §2 "Caps"); 0 = off. @default 24 h (MAX_CONVERSATION_SPAN) */
  readonly maxSpanMs: number;
  /** A conversation's JSON body is at most this many UTF-8 bytes, unless one turn alone is larger; 0 = off. @default 1,000,000 (MAX_CONVERSATION_BYTES) */
  readonly maxBytes: number;
  /** @default ./state */
  readonly stateDir: string;
  readonly logDir: string | undefined;
  /** Deliveries in flight at once. @default 4 */
  readonly concurrency: number;
  /** The instant that decides which conversations are closed; undefined = the run's start. */
  readonly now: Date | undefined;
  /** Keep chats with `include: false`. @default false */
  readonly includeHidden: boolean;
  /** Keep `<think>`/`<thinking>` blocks in assistant content (`KEEP_REASONING`, `--keep-reasoning`; DESIGN §3). @default false */
  readonly keepReasoning: boolean;
  /** Per-request timeout of the source (`HTTP_TIMEOUT`). @default 30 s */
  readonly timeoutMs: number;
  /** Per-attempt timeout of a webhook POST (`WEBHOOK_TIMEOUT`): a memory webhook may run an LLM before it answers (DESIGN §3). @default 120 s */
  readonly webhookTimeoutMs: number;
  /** Retries after a failed request. @default 7 (with the 250 ms first delay: about 47 s of backoff before giving up, as 5 from 1 s gave) */
  readonly retries: number;
  /** First retry delay, doubled each time with jitter. @default 250 ms */
  readonly retryMinMs: number;
  /** Longest `Retry-After` honoured. @default 60 s */
  readonly retryAfterCapMs: number;
  /** The run stops cleanly, checkpointed, this long after it started (below the unit's start timeout). @default 50 min */
  readonly deadlineMs: number;
  /** How far before the previous cursor's `createdAt` each night re-reads (`REREAD_WINDOW`, DESIGN §1); 0 turns it off. @default 24 h */
  readonly rereadWindowMs: number;
  /** pino level. @default info */
  readonly logLevel: string;
  /** `--backfill DATE`: also take in every chat created at or after this instant (DESIGN §5). */
  readonly backfill: Date | undefined;
  /** `reconcile --since DATE`: how far back it re-reads (DESIGN §4); undefined = the floor, or all history. */
  readonly since: Date | undefined;
  /** `--redeliver` (only with `backfill`): send every conversation since `backfill` again, with fresh keys. @default false */
  readonly redeliver: boolean;
  /** `--dry-run`: print the conversations as NDJSON, post nothing, change nothing in STATE_DIR. @default false */
  readonly dryRun: boolean;
  /** `--fix-permissions`: make a STATE_DIR other users can reach owner-only instead of refusing it. @default false */
  readonly fixPermissions: boolean;
  /** Seals the values holding chat text (`STATE_KEY_FILE` > `$CREDENTIALS_DIRECTORY/state-key`); plain when undefined. */
  readonly stateKey: string | undefined;
}

/** The command-line values `loadConfig` reads (yargs' parsed argv; every flag optional). */
export interface ConfigFlags {
  readonly baseUrl?: string | undefined;
  readonly apiKeyFile?: string | undefined;
  readonly webhookUrl?: string | undefined;
  readonly webhookSecretFile?: string | undefined;
  readonly webhookHeadersFile?: string | undefined;
  readonly retractWebhookUrl?: string | undefined;
  readonly gap?: string | undefined;
  readonly maxSpan?: string | undefined;
  readonly maxBytes?: NumberText | undefined;
  readonly stateDir?: string | undefined;
  readonly logDir?: string | undefined;
  readonly concurrency?: NumberText | undefined;
  readonly now?: string | undefined;
  readonly includeHidden?: boolean | undefined;
  readonly keepReasoning?: boolean | undefined;
  readonly source?: string | undefined;
  readonly backfill?: string | undefined;
  readonly since?: string | undefined;
  readonly tz?: string | undefined;
  readonly redeliver?: boolean | undefined;
  readonly dryRun?: boolean | undefined;
  readonly fixPermissions?: boolean | undefined;
  readonly metricsFile?: string | undefined;
  readonly instance?: string | undefined;
}

/** A number as typed on the command line (yargs hands it over as text), or given as one by a caller. */
export type NumberText = string | number;

/** What a command needs besides the flags: whether it reads the source and whether it posts. */
export interface ConfigNeeds {
  readonly source: boolean;
  readonly webhook: boolean;
}

/** Builds and checks the Config from flags and environment; throws one MC_CONFIG line naming the bad setting. */
export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv, needs: ConfigNeeds = { source: true, webhook: true }): Config {
  const gapText = flags.gap ?? env['CONVERSATION_HOUR_WINDOW'];
  refuseMissingSettings(flags, env, needs);
  return {
    source: needs.source ? sourceConfig(flags, env) : undefined,
    webhookUrl: needs.webhook ? urlSetting(flags.webhookUrl ?? env['WEBHOOK_URL'], 'WEBHOOK_URL', '--webhook-url', 'the memory webhook, e.g. https://memory.example/hook') : undefined,
    webhookSecret: readSecret({ file: flags.webhookSecretFile, credential: 'webhook-secret', envName: 'WEBHOOK_SECRET' }, env),
    webhookHeaders: needs.webhook ? webhookHeaders({ flag: flags.webhookHeadersFile }, env) : {},
    proxySecrets: needs.source || needs.webhook ? proxySecrets(env) : [],
    retractWebhookUrl: retractUrl(flags.retractWebhookUrl ?? env['RETRACT_WEBHOOK_URL']),
    gapMs: gapText === undefined ? 3_600_000 : positiveDuration(gapText, 'h', flags.gap === undefined ? 'CONVERSATION_HOUR_WINDOW' : '--gap', 'hours like 1 or 1.5, or 90m'),
    maxSpanMs: windowDuration(flags.maxSpan ?? env['MAX_CONVERSATION_SPAN'], 24 * 3_600_000, flags.maxSpan === undefined ? 'MAX_CONVERSATION_SPAN' : '--max-span', 'h'),
    maxBytes: integer(flags.maxBytes ?? env['MAX_CONVERSATION_BYTES'], 1_000_000, 0, Number.MAX_SAFE_INTEGER, flags.maxBytes === undefined ? 'MAX_CONVERSATION_BYTES (--max-bytes; 0 turns the cap off)' : '--max-bytes (MAX_CONVERSATION_BYTES; 0 turns the cap off)'),
    stateDir: nonEmpty(flags.stateDir ?? env['STATE_DIR']) ?? 'state',
    logDir: nonEmpty(flags.logDir ?? env['LOG_DIR']),
    concurrency: integer(flags.concurrency ?? env['CONCURRENCY'], 4, 1, 64, 'CONCURRENCY (--concurrency)'),
    now: flags.now === undefined ? undefined : instant(flags.now),
    includeHidden: flags.includeHidden ?? false,
    keepReasoning: flags.keepReasoning ?? trueOrFalse(env['KEEP_REASONING'], 'KEEP_REASONING'),
    timeoutMs: optionalDuration(env['HTTP_TIMEOUT'], 30_000, 'HTTP_TIMEOUT'),
    webhookTimeoutMs: optionalDuration(env['WEBHOOK_TIMEOUT'], 120_000, 'WEBHOOK_TIMEOUT'),
    retries: integer(env['RETRIES'], 7, 0, 20, 'RETRIES'),
    retryMinMs: optionalDuration(env['RETRY_MIN_DELAY'], 250, 'RETRY_MIN_DELAY'),
    retryAfterCapMs: optionalDuration(env['RETRY_AFTER_CAP'], 60_000, 'RETRY_AFTER_CAP'),
    deadlineMs: optionalDuration(env['RUN_DEADLINE'], 50 * 60_000, 'RUN_DEADLINE'),
    rereadWindowMs: windowDuration(env['REREAD_WINDOW'], 24 * 3_600_000, 'REREAD_WINDOW'),
    logLevel: logLevel(env['LOG_LEVEL']),
    backfill: flags.backfill === undefined ? undefined : pastDate(parseBackfillDate(flags.backfill, backfillTimeZone(flags.tz, env)), flags.backfill, '--backfill'),
    since: flags.since === undefined ? undefined : pastDate(parseBackfillDate(flags.since, backfillTimeZone(flags.tz, env), '--since'), flags.since, '--since'),
    redeliver: redeliver(flags),
    dryRun: flags.dryRun ?? false,
    fixPermissions: flags.fixPermissions ?? false,
    stateKey: stateKey(env),
    ...monitoringSettings(flags, env),
  };
}

// A yes/no setting: true/false (or 1/0, yes/no, any case); unset or empty is false.
function trueOrFalse(text: string | undefined, name: string): boolean {
  const value = text?.trim().toLowerCase() ?? '';
  if (value === '' || value === 'false' || value === '0' || value === 'no') return false;
  if (value === 'true' || value === '1' || value === 'yes') return true;
  return fail(`${name} is ${JSON.stringify(text)}; set it to true or false`);
}

// Only from a file (never the environment or the command line): STATE_KEY_FILE, else the systemd credential.
function stateKey(env: NodeJS.ProcessEnv): string | undefined {
  const credentials = env['CREDENTIALS_DIRECTORY'];
  const key = readSecret({ file: nonEmpty(env['STATE_KEY_FILE']), credential: 'state-key', envName: 'STATE_KEY_FILE' }, credentials === undefined ? {} : { CREDENTIALS_DIRECTORY: credentials });
  if (key !== undefined && key.length < 32) fail(`the state key has ${key.length} characters, fewer than 32; make one with: openssl rand -base64 32`);
  return key;
}

// A --backfill or --since date must lie in the past (the real clock): a later one is a typo, and as a first run's
// floor it would leave out every chat before it for good.
function pastDate(date: Date, text: string, flag: '--backfill' | '--since'): Date {
  if (date.getTime() > Date.now()) fail(`${flag} ${text} (${date.toISOString()}) is in the future; give the date of the oldest chats to take in, e.g. ${flag} 2026-11-01`);
  return date;
}

function redeliver(flags: ConfigFlags): boolean {
  if (flags.redeliver === true && flags.backfill === undefined) fail('--redeliver needs --backfill DATE: it sends again every conversation since DATE');
  return flags.redeliver ?? false;
}

function sourceConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv): SourceConfig {
  if (flags.source !== undefined) {
    const match = /^file:(.+)$/.exec(flags.source);
    if (match?.[1] === undefined) fail(`--source ${JSON.stringify(flags.source)} is not understood; use --source file:PATH (an NDJSON file of chat records)`);
    return { kind: 'file', path: match[1] };
  }
  const baseUrl = urlSetting(flags.baseUrl ?? env['BASE_URL'], 'BASE_URL', '--base-url', "the AnythingLLM server's root, e.g. http://localhost:3001");
  const apiKey = readSecret({ file: flags.apiKeyFile, credential: 'api-key', envName: 'API_KEY' }, env);
  if (apiKey === undefined) fail('the API key is missing; put it in API_KEY, a file named by --api-key-file, or the systemd credential api-key');
  return { kind: 'api', baseUrl, apiKey };
}

// RETRACT_WEBHOOK_URL: optional (empty is unset); when given, checked as WEBHOOK_URL is.
function retractUrl(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : urlSetting(value, 'RETRACT_WEBHOOK_URL', '--retract-webhook-url', 'the retraction webhook, e.g. https://memory.example/forget');
}

// BASE_URL or WEBHOOK_URL: present, and an http(s) URL without credentials (http-url.ts); the text as given, trimmed.
function urlSetting(value: string | undefined, envName: 'BASE_URL' | 'WEBHOOK_URL' | 'RETRACT_WEBHOOK_URL', flag: string, example: string): string {
  if (value === undefined || value.trim() === '') fail(`${envName} is missing; set ${envName} or ${flag} to ${example}`);
  const credentialsHint = envName === 'BASE_URL' ? 'the API key goes in API_KEY, --api-key-file or the api-key credential' : 'put the receiver\'s credentials in WEBHOOK_HEADERS_FILE as a header line (Authorization: Basic …, Authorization: Bearer …, X-API-Key: …), and sign deliveries with WEBHOOK_SECRET';
  httpUrl(value, { name: envName, example, credentialsHint });
  return value.trim();
}

function positiveDuration(text: string, bareUnit: 'h' | 'ms', name: string, shape: string): number {
  const ms = parseDuration(text, bareUnit);
  if (ms === undefined || ms <= 0) fail(`${name} ${JSON.stringify(text)} is not a positive duration; use ${shape}`);
  return ms;
}

function optionalDuration(text: string | undefined, fallback: number, name: string): number {
  return text === undefined || text === '' ? fallback : positiveDuration(text, 'ms', name, 'milliseconds, or 30s, 5m, 1h');
}

// A duration that may be 0 (off): bare numbers are milliseconds, like the other durations (hours for the span cap).
function windowDuration(text: string | undefined, fallback: number, name: string, bareUnit: 'h' | 'ms' = 'ms'): number {
  if (text === undefined || text === '') return fallback;
  if (parseDuration(text, bareUnit) === 0) return 0; // 0, 0h, 0m
  return positiveDuration(text, bareUnit, name, 'a duration like 24h, 90m or 2d, or 0 to turn it off');
}

function integer(value: string | number | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number) || number < min || number > max) fail(`${name} ${JSON.stringify(value)} must be a whole number from ${min} to ${max}`);
  return number;
}

function instant(text: string): Date {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || !Number.isFinite(ms)) fail(`--now ${JSON.stringify(text)} is not an ISO-8601 instant; use e.g. 2026-11-24T09:00:00Z`);
  return new Date(ms);
}

function logLevel(value: string | undefined): string {
  if (value === undefined || value === '') return 'info';
  if (!logLevels.includes(value)) fail(`LOG_LEVEL ${JSON.stringify(value)} must be one of ${logLevels.join(', ')}`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
