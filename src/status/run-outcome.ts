import { counted } from '../log/counted.js';
import type { Logger } from 'pino';
import { exitCodeOf, isMcError, McError } from '../errors.js';
import { safeOrigin } from '../http/safe-url.js';
import type { RunSummary } from './run-summary.js';
import type { LastRun } from './status-shape.js';
import { type DeliveryCounts, webhookDownAfter } from '../domain/night-counts.js';

/**
 * The error a finished delivery exits with (DESIGN §5: 6 for new dead letters, a webhook taken to be down or one
 * unreachable), or undefined for exit 0. The lines name the URL's origin (its path may be a token: safeOrigin), the
 * last failure and, for a 401/403, the secret and headers to check; a redirect is never called a 4xx.
 */
export function deliveryProblem(conversations: DeliveryCounts, webhookUrl?: string): McError | undefined {
  const { dead, parked } = conversations;
  const why = parkedWhy(parked, conversations.redirected);
  if (conversations.unreachable) {
    const where = webhookUrl === undefined ? 'WEBHOOK_URL' : `WEBHOOK_URL ${safeOrigin(webhookUrl)}`;
    const last = conversations.lastError ?? 'unknown';
    return new McError('MC_WEBHOOK_UNREACHABLE', `nothing answers at ${where} (${last}): is the memory webhook running, and is WEBHOOK_URL right? Try \`memory-cron check\`. Delivery stopped at once, without retries: the ${conversations.waiting} closed ${conversations.waiting === 1 ? 'conversation' : 'conversations'} not delivered ${conversations.waiting === 1 ? 'waits' : 'wait'}, neither dead nor parked, for the next run`, { details: { lastError: last, waiting: conversations.waiting } });
  }
  if (conversations.webhookDown) {
    const where = webhookUrl === undefined ? 'the webhook' : `the webhook at ${safeOrigin(webhookUrl)}`;
    const last = conversations.lastError ?? 'unknown';
    const hint = /^HTTP 40[13]\b/.test(last) ? ': it refuses the requests — check WEBHOOK_SECRET against the receiver\'s signing secret, and the credentials it wants in WEBHOOK_HEADERS_FILE' : '';
    const waiting = parked === 0 ? '' : `; the ${parked} parked by this run (${why}) ${waitForRetry(parked)} once the webhook is fixed`;
    return new McError('MC_WEBHOOK_DOWN', `${where} failed ${counted(webhookDownAfter, 'delivery', 'deliveries')} in a row (last: ${last})${hint}; it was taken to be down${notTried(conversations.waiting)}${waiting}`, { details: { lastError: last, dead, parked, waiting: conversations.waiting } });
  }
  if (dead + parked > 0) {
    const waiting = [
      ...(dead === 0 ? [] : [`the dead ${dead === 1 ? 'letter is' : 'letters are'} retried by the next run`]),
      ...(parked === 0 ? [] : [`the parked ${parked === 1 ? 'one' : 'ones'} (${why}) ${waitForRetry(parked)}`]),
    ].join('; ');
    return new McError('MC_DEAD_LETTERS', `${dead} dead ${dead === 1 ? 'letter' : 'letters'} and ${parked} parked ${parked === 1 ? 'conversation' : 'conversations'} left by this run (last error: ${conversations.lastError ?? 'unknown'}): ${waiting}; see \`memory-cron dead-letters\``);
  }
  return undefined;
}

/**
 * The warning a run ends with while the outbox holds parked conversations, of this night or earlier ones (`parked`:
 * the outbox counted by State.totals): no run sends them again, so a night that exits 0 still says they wait. Not an
 * error: the exit code is unchanged (README "Exit codes": parked ones from earlier nights are allowed).
 */
export function logParkedWaiting(log: Logger, parked: number): void {
  if (parked === 0) return;
  log.warn({ code: 'MC_PARKED_WAITING', parked }, `${parked} parked ${parked === 1 ? 'conversation' : 'conversations'} (refused by the webhook with a permanent 4xx or redirected, this night or earlier) ${waitForRetry(parked)}: no run sends ${parked === 1 ? 'it' : 'them'} again; \`memory-cron dead-letters\` lists ${parked === 1 ? 'it' : 'them'}`);
}

// Why this run's parked conversations were parked: a 4xx, a redirect (a 3xx, never called a 4xx), or both.
function parkedWhy(parked: number, redirected: number): string {
  if (redirected === 0) return 'refused with a permanent 4xx';
  return redirected === parked ? 'redirected: a 3xx, never followed' : `refused with a permanent 4xx, or redirected: ${redirected} a 3xx, never followed`;
}

// Parked conversations are left alone by runs (DESIGN §3): only `dead-letters retry` sends them.
function waitForRetry(parked: number): string {
  return `${parked === 1 ? 'waits' : 'wait'} in the outbox for \`memory-cron dead-letters retry\``;
}

/** The status file's last run for a night that got to the end: exit 0, or the code of its delivery problem. */
export function finishedRun(command: string, summary: RunSummary, problem: McError | undefined): LastRun {
  const error = problem === undefined ? null : { code: problem.code, message: problem.message };
  return { command, startedAt: summary.startedAt, finishedAt: summary.finishedAt, exitCode: problem === undefined ? 0 : exitCodeOf(problem), error, summary };
}

/** The status file's last run for a night that failed with `error` (an McError, or a bug as MC_INTERNAL). */
export function failedRun(command: string, started: Date, error: unknown): LastRun {
  const code = isMcError(error) ? error.code : 'MC_INTERNAL';
  return { command, startedAt: started.toISOString(), finishedAt: new Date().toISOString(), exitCode: exitCodeOf(error), error: { code, message: String((error as Error)?.message ?? error) }, summary: null };
}

// The closed conversations a webhook taken to be down left untried: the next run sends them first (DESIGN §3).
function notTried(waiting: number): string {
  if (waiting === 0) return '';
  return ` and the other ${waiting} closed ${waiting === 1 ? 'conversation was' : 'conversations were'} not tried: the next run sends ${waiting === 1 ? 'it' : 'them'} first`;
}
