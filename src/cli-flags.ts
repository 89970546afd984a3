import type { Options } from 'yargs';

/** Every flag, each described once; the groups below give each command only the flags it uses (its --help lists those). */
const flags = {
  'state-dir': { type: 'string', describe: 'state folder (STATE_DIR)' },
  'log-dir': { type: 'string', describe: 'also write a daily log file here (LOG_DIR)' },
  'webhook-url': { type: 'string', describe: 'memory webhook (WEBHOOK_URL)' },
  'retract-webhook-url': { type: 'string', describe: 'where retractions go: changes to sent chats (RETRACT_WEBHOOK_URL; may equal the webhook)' },
  'webhook-secret-file': { type: 'string', describe: 'file holding the Standard Webhooks secret (else $CREDENTIALS_DIRECTORY/webhook-secret, else WEBHOOK_SECRET)' },
  'webhook-headers-file': { type: 'string', describe: 'file of "Name: value" header lines sent with every webhook request (WEBHOOK_HEADERS_FILE, else $CREDENTIALS_DIRECTORY/webhook-headers)' },
  concurrency: { type: 'string', describe: 'deliveries in flight (CONCURRENCY), 1–64' },
  'fix-permissions': { type: 'boolean', describe: 'make STATE_DIR owner-only (chmod -R go-rwx) instead of refusing it when other users can reach it' },
  'api-key': { type: 'string', hidden: true },
  'webhook-secret': { type: 'string', hidden: true },
  'base-url': { type: 'string', describe: "AnythingLLM server root (BASE_URL)" },
  'api-key-file': { type: 'string', describe: 'file holding the API key (else $CREDENTIALS_DIRECTORY/api-key, else API_KEY)' },
  'include-hidden': { type: 'boolean', describe: 'keep chats with include: false' },
  'keep-reasoning': { type: 'boolean', describe: 'keep <think>/<thinking> blocks in assistant messages (KEEP_REASONING); removed by default' },
  source: { type: 'string', describe: 'file:PATH — read chat records from an NDJSON file instead of the API' },
  gap: { type: 'string', describe: 'conversation gap: 90m, 1h, 1.5h (CONVERSATION_HOUR_WINDOW, hours)' },
  'max-span': { type: 'string', describe: 'longest conversation before it is sent in parts: 24h, 90m, 2d; 0 = no cap (MAX_CONVERSATION_SPAN)' },
  'max-bytes': { type: 'string', describe: 'largest conversation body in bytes before it is sent in parts; 0 = no cap (MAX_CONVERSATION_BYTES)' },
  now: { type: 'string', describe: 'ISO instant deciding which conversations are closed (tests, replays)' },
  backfill: { type: 'string', describe: 'also take in every chat since DATE (2026-11-01 = midnight in --tz; or an ISO timestamp)' },
  tz: { type: 'string', describe: 'time zone of a plain --backfill or --since date (else TZ, else America/Chicago)' },
  since: { type: 'string', describe: 're-read back to DATE (2026-11-01 = midnight in --tz; or an ISO timestamp); default: the floor, or all history' },
  json: { type: 'boolean', default: false, describe: 'one JSON object on stdout (log lines go to stderr)' },
  redeliver: { type: 'boolean', describe: 'with --backfill: send every conversation since DATE again, with new idempotency keys' },
  'dry-run': { type: 'boolean', describe: 'print the conversations as NDJSON on stdout; post nothing, change nothing in STATE_DIR' },
  'metrics-file': { type: 'string', describe: 'a .prom file for node_exporter, rewritten at the end of every run (METRICS_FILE)' },
  instance: { type: 'string', describe: 'the instance label of the metrics (INSTANCE; default "default")' },
} as const satisfies Record<string, Options>;

function pick<K extends keyof typeof flags>(...names: K[]): Pick<typeof flags, K> {
  return Object.fromEntries(names.map((name) => [name, flags[name]])) as Pick<typeof flags, K>;
}

/** The flags of every command that may deliver: state, logs, webhook; secrets as values are caught to be refused. */
export const deliveryFlags = pick('state-dir', 'log-dir', 'webhook-url', 'retract-webhook-url', 'webhook-secret-file', 'webhook-headers-file', 'concurrency', 'fix-permissions', 'keep-reasoning', 'api-key', 'webhook-secret');

/** Where chats come from: the API (BASE_URL and the key) or an NDJSON file. */
export const sourceFlags = pick('base-url', 'api-key-file', 'include-hidden', 'source');

/** What only a night (`run`, `check`) takes: the gap, the instant, a backfill or replay, a dry run, metrics. */
export const nightFlags = pick('gap', 'max-span', 'max-bytes', 'now', 'backfill', 'tz', 'redeliver', 'dry-run', 'metrics-file', 'instance');

/** `check`: what it judges (STATE_DIR), reads (page 0) and probes (the webhook), and a backfill to preview. */
export const checkFlags = pick('state-dir', 'log-dir', 'fix-permissions', 'webhook-url', 'retract-webhook-url', 'webhook-secret-file', 'webhook-headers-file', 'base-url', 'api-key-file', 'source', 'backfill', 'tz', 'redeliver', 'api-key', 'webhook-secret');

/** `reconcile`: the state and the source, how far back, and the output; it posts nothing (with a retraction webhook set it keeps the changes to sent chats it finds for the next night). */
export const reconcileFlags = pick('state-dir', 'log-dir', 'fix-permissions', 'base-url', 'api-key-file', 'include-hidden', 'source', 'since', 'tz', 'json', 'api-key', 'retract-webhook-url');

/** `status`: it reads status.json only. */
export const statusFlags = pick('state-dir', 'json');

/** `quarantine`: it opens the state and lists. */
export const quarantineFlags = pick('state-dir', 'fix-permissions', 'json');

/** `rekey`: it opens the state (the new key's file is its own flag). */
export const rekeyFlags = pick('state-dir', 'fix-permissions');
