import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { createLog, type Log } from '../log.js';
import { McError, causeField, exitCodeOf, failureOf, isMcError } from '../errors.js';
import type { Config } from '../config.js';
import { headerSecrets } from '../config/webhook-headers.js';

/** The package version, read once from package.json beside dist/. */
export const version: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The logger of a command: JSON lines on stdout, or on stderr when stdout carries data (--json, --dry-run). */
export function commandLog(config: Config, options: { toStderr: boolean; command: string; beforeWrite?: () => void }): Log {
  return createLog({
    ...(options.beforeWrite === undefined ? {} : { beforeWrite: options.beforeWrite }),
    to: options.toStderr ? 'stderr' : 'stdout',
    logDir: config.logDir,
    level: config.logLevel,
    secrets: secretsOf(config),
    base: { version, ...(process.env['INVOCATION_ID'] ? { invocation: process.env['INVOCATION_ID'] } : {}) },
  });
}

/**
 * The secrets a logger must scrub from every line, whatever their length (log/scrub.ts keeps every line valid JSON
 * even for a secret of one character): the API key, the webhook secret, the webhook's header values, the proxies'
 * passwords, the state key and the healthcheck URL.
 */
function secretsOf(config: Config): string[] {
  // A ping URL carries its token in the path or the query: the whole URL and that part are scrubbed; a part shorter
  // than 8 characters is a plain path (`/ping`), not a token.
  const ping = config.healthcheck?.url;
  const token = ping === undefined ? undefined : `${ping.pathname}${ping.search}`.replace(/^\/+/, '');
  return [config.source?.kind === 'api' ? config.source.apiKey : undefined, config.webhookSecret, ...headerSecrets(config.webhookHeaders), ...config.proxySecrets, config.stateKey, ping?.href, token && token.length >= 8 ? token : undefined].filter((s): s is string => s !== undefined && s !== '');
}

/** Below this many characters a WEBHOOK_SECRET is weak, and scrubbing it makes log lines hard to read (a warning). */
const weakWebhookSecretLength = 16;

/**
 * The warning `check` and a run's start log once when WEBHOOK_SECRET is shorter than {@link weakWebhookSecretLength}
 * characters (for a `whsec_` secret, the part after the prefix): it names the setting, never the value or its length;
 * undefined when there is no secret or it is long enough. A warning, not a refusal: existing installs keep running.
 */
export function weakSecretWarning(config: Config): string | undefined {
  const secret = config.webhookSecret;
  if (secret === undefined) return undefined;
  const key = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (key.length >= weakWebhookSecretLength) return undefined;
  return `WEBHOOK_SECRET is shorter than ${weakWebhookSecretLength} characters: a weak signing secret, and scrubbing so short a string out of every log line makes the lines hard to read; give the job and the receiver a long random one (openssl rand -base64 32)`;
}

/** One AbortController for the run: SIGINT, SIGTERM and the deadline abort it with the McError to exit with. */
export function stopSignal(deadlineMs: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => () => controller.abort(new McError('MC_ABORTED', `stopped by ${name}; state is consistent and the next run continues`, { details: { signal: name } }));
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  const deadline = setTimeout(() => controller.abort(new McError('MC_DEADLINE', `the run deadline (RUN_DEADLINE, ${Math.round(deadlineMs / 60_000)} min) was reached; state is checkpointed and the next run continues`)), deadlineMs);
  deadline.unref();
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(deadline);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/**
 * The stop of a run whose night got to its end — delivery finished, the summary written — before the process exited:
 * SIGINT, SIGTERM or RUN_DEADLINE aborted `signal` meanwhile (README "Exit codes": 130, 143, 8). The error keeps the
 * stop's code and details (`signal`), adds `afterDelivery: true`, and says that the night's work is done; undefined when
 * nothing stopped the run. `problem` is how delivery ended (deliveryProblem): none means every closed conversation was
 * delivered.
 */
export function stoppedAfterDelivery(signal: AbortSignal, problem: McError | undefined): McError | undefined {
  if (!signal.aborted) return undefined;
  const reason: unknown = signal.reason;
  const stop = isMcError(reason) ? reason : new McError('MC_INTERNAL', `the run was stopped for an unknown reason (${String(reason)}) (a bug — please report it)`);
  const what = stop.message.split(';')[0] ?? stop.message;
  const done = problem === undefined ? 'every closed conversation was delivered' : `delivery had ended (${problem.code}, logged above)`;
  return new McError(stop.code, `${what} after delivery had finished: ${done}, the summary is written and state is consistent; the next run continues`, { details: { ...stop.details, afterDelivery: true } });
}

/** The exit code for an error (README "Exit codes"); lives in errors.ts so the job can record it too. */
export { exitCodeOf } from '../errors.js';

/** Logs a failed command as one line: our errors by code, message and cause chain, anything else as a bug with its stack. */
export function logFailure(log: Logger, error: unknown): void {
  if (isMcError(error)) log.error({ code: error.code, ...error.details, ...causeField(error) }, error.message);
  else log.error({ code: 'MC_INTERNAL', err: error }, failureOf(error).message);
}

/** Runs a command's body: a failure becomes one log line and its exit code; the stop signal and log are released either way. */
export async function loggedCommand(log: Log, stop: { dispose(): void }, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    logFailure(log.logger, error);
    return exitCodeOf(error);
  } finally {
    stop.dispose();
    await log.flush();
  }
}

/** The exit code of a finished run: 0, or the problem's code after logging it as one line. */
export function exitFor(log: Logger, problem: McError | undefined): number {
  if (problem === undefined) return 0;
  logFailure(log, problem);
  return exitCodeOf(problem);
}
