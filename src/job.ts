import type { Logger } from 'pino';
import type { Config } from './config.js';
import { webhookSender, type SendConversation } from './delivery/webhook-sender.js';
import { McError, isMcError } from './errors.js';
import type { RetryOptions } from './http/retry.js';
import { collect, type Collected } from './job/collect.js';
import { deliver, type Delivered } from './job/deliver.js';
import { countTotals, type Totals } from './job/totals.js';
import type { Cursor } from './state/records.js';
import { stateError } from './state/state-error.js';
import { State } from './state/state.js';
import { writeStatusFile } from './state/status-file.js';

/** What a run reports: the summary line and the status file's `lastRun` (DESIGN §6). */
export interface RunSummary {
  readonly version: string;
  readonly invocation: string | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** The instant that decided which conversations are closed. */
  readonly now: string;
  readonly cursorBefore: number | null;
  readonly cursorAfter: number | null;
  readonly pages: number;
  readonly chats: Collected['counts'];
  readonly conversations: Delivered;
  readonly totals: Totals;
}

/** What every command gets from the CLI: the logger, the stop signal, the version and the command line. */
export interface JobContext {
  readonly log: Logger;
  /** Aborted by SIGINT, SIGTERM or the run deadline; its reason is the McError to exit with. */
  readonly signal: AbortSignal;
  readonly version: string;
  readonly command: string;
  /** Replaces the webhook (tests, --dry-run). */
  readonly send?: SendConversation;
}

/** The nightly job (DESIGN §1–§4): page and stage, move the cursor, deliver closed conversations. */
export async function runNight(config: Config, context: JobContext): Promise<RunSummary> {
  const started = new Date();
  const nowMs = config.now?.getTime() ?? started.getTime();
  const state = await State.open(config.stateDir, context.command);
  const log = context.log;
  try {
    const cursor = await state.cursor();
    const retry = retryOptions(config, context, log);
    await writeStatusFile(config.stateDir, { version: context.version, running: true, holder: { pid: process.pid, command: context.command, startedAt: started.toISOString() }, cursor: cursor ?? null });
    const collected = await collect(state, { config, cursorId: cursor?.id, retry, log: log.child({ stage: 'source' }), realNow: Date.now });
    const cursorAfter = await moveCursor(state, cursor, collected);
    const delivered = await deliver(state, {
      send: context.send ?? webhookSender({ url: required(config.webhookUrl), secret: config.webhookSecret, timeoutMs: config.timeoutMs, retry, userAgent: `memory-cron/${context.version}` }),
      gapMs: config.gapMs,
      nowMs,
      concurrency: config.concurrency,
      log: log.child({ stage: 'delivery' }),
    });
    const finished = new Date();
    const summary: RunSummary = {
      version: context.version,
      invocation: process.env['INVOCATION_ID'] ?? null,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      now: new Date(nowMs).toISOString(),
      cursorBefore: cursor?.id ?? null,
      cursorAfter: cursorAfter?.id ?? null,
      pages: collected.pages,
      chats: collected.counts,
      conversations: delivered,
      totals: await countTotals(state),
    };
    await state.meta.put('lastRun', summary);
    await writeStatusFile(config.stateDir, { version: context.version, running: false, cursor: cursorAfter ?? null, lastRun: summary });
    return summary;
  } catch (caught) {
    const error = context.signal.aborted ? context.signal.reason : isMcError(caught) || !isLevelError(caught) ? caught : stateError(caught, config.stateDir, 'running the night');
    const failure = { startedAt: started.toISOString(), finishedAt: new Date().toISOString(), failed: isMcError(error) ? error.code : 'MC_INTERNAL', message: (error as Error)?.message };
    await writeStatusFile(config.stateDir, { version: context.version, running: false, cursor: (await state.cursor().catch(() => undefined)) ?? null, lastRun: failure }).catch(() => undefined);
    throw error;
  } finally {
    await state.close();
  }
}

/** The retry settings shared by the source and the webhook, logging each retry. */
function retryOptions(config: Config, context: JobContext, log: Logger): RetryOptions {
  return {
    retries: config.retries,
    minDelayMs: config.retryMinMs,
    maxDelayMs: Math.max(config.retryMinMs, 30_000),
    retryAfterCapMs: config.retryAfterCapMs,
    signal: context.signal,
    onRetry: (error, attempt) => log.warn({ attempt, reason: error.message, retryAfterMs: error.retryAfterMs }, 'request failed; retrying'),
  };
}

// DESIGN §1: the cursor never moves back, and moves only once every page it covers is staged.
async function moveCursor(state: State, cursor: Cursor | undefined, collected: Collected): Promise<Cursor | undefined> {
  const newest = collected.newest;
  if (newest === undefined || (cursor !== undefined && newest.id <= cursor.id)) return cursor;
  const moved: Cursor = { id: newest.id, createdAt: newest.createdAt, movedAt: new Date().toISOString() };
  await state.meta.put('cursor', moved);
  return moved;
}

function isLevelError(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('LEVEL_')) return true;
  }
  return false;
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new McError('MC_CONFIG', 'WEBHOOK_URL is missing; set WEBHOOK_URL or --webhook-url');
  return value;
}
