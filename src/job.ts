import type { Logger } from 'pino';
import type { Config } from './config.js';
import { deliver } from './delivery/deliver.js';
import { conversationRules } from './job/conversation-rules.js';
import { configuredSender } from './delivery/configured-sender.js';
import type { SendWebhookBody, SendConversation } from './delivery/webhook-sender.js';
import { collect, type Collected } from './job/collect.js';
import { retractionPhase } from './retractions/retraction-phase.js';
import { retractionProblem } from './retractions/retraction-problem.js';
import { killPoint } from './kill-point.js';
import { nightScope } from './job/night-scope.js';
import { pagingScopeKey, ResumePoint } from './job/resume-point.js';
import { nextFloor, pagingTarget } from './job/run-scope.js';
import type { Scope } from './source/paging-scope.js';
import type { RetryOptions } from './http/retry.js';
import type { ProgressDisplay } from './status/progress-display.js';
import type { Page } from './source/page.js';
import { replayConversations, replaySuffix } from './job/replay.js';
import { retryOptions } from './job/retry-options.js';
import { checkSource, recordSource, warnIfRewound } from './job/source-record.js';
import { deliveryProblem, failedRun, finishedRun } from './status/run-outcome.js';
import { countPage, enterPhase, startProgress, type RunProgress } from './status/run-progress.js';
import type { RunSummary } from './status/run-summary.js';
import { StatusCheckpoints } from './status/status-checkpoints.js';
import type { Cursor, PagingRecord } from './store/records.js';
import { asStateError } from './statedir/state-error.js';
import { State } from './store/state.js';
import type { DeliveryCounts, RetractionCounts, StageCounts } from './domain/night-counts.js';

export type { RunSummary } from './status/run-summary.js';

/** What every command gets from the CLI: the logger, the stop signal, the version and the command line. */
export interface JobContext {
  readonly log: Logger;
  /** Aborted by SIGINT, SIGTERM or the run deadline; its reason is the McError to exit with. */
  readonly signal: AbortSignal;
  readonly version: string;
  readonly command: string;
  /** Replaces the webhook (tests, --dry-run). */
  readonly send?: SendConversation;
  /** Replaces the retraction webhook (--dry-run). */
  readonly sendRetraction?: SendWebhookBody;
  /** Shows the run's progress (a terminal line, or a log line every 30 s). */
  readonly progress?: ProgressDisplay;
}

/** The nightly job (DESIGN §1–§4): page and stage, move the cursor, replay where asked, deliver closed conversations, report. */
export async function runNight(config: Config, context: JobContext): Promise<RunSummary> {
  const started = new Date();
  const state = await State.open(config.stateDir, context.command, { fixPermissions: config.fixPermissions, stateKey: config.stateKey });
  let night: Night | undefined;
  try {
    night = await startNight(state, config, context, started);
    const paged = await pagePhase(night);
    killPoint('paged');
    const cursorAfter = await cursorPhase(night, paged.collected);
    killPoint('cursor-written');
    const replay = await replayPhase(night);
    const delivery = await deliverPhase(night);
    return await summaryPhase(night, { paged, cursorAfter, replay, delivery });
  } catch (caught) {
    throw await failNight(state, config, context, started, night, caught);
  } finally {
    await state.close();
  }
}

/** What the phases of one night share: set up by startNight; `floorMs` moves in cursorPhase. */
interface Night {
  readonly config: Config;
  readonly context: JobContext;
  readonly state: State;
  readonly log: Logger;
  readonly started: Date;
  /** The instant that decides which conversations are closed. */
  readonly nowMs: number;
  readonly cursor: Cursor | undefined;
  floorMs: number | undefined;
  readonly scope: Scope;
  /** The paging record a stopped run left, as read at the start. */
  readonly paging: PagingRecord | undefined;
  readonly retry: RetryOptions;
  readonly progress: RunProgress;
  readonly checkpoints: StatusCheckpoints;
  /** Shows the progress and checkpoints it. */
  readonly report: () => void;
  /** `--redeliver`: the replay regroups the chats created since (ms). */
  readonly replaySinceMs: number | undefined;
  /** The source (`BASE_URL`) on record: as found at the start, then as recorded once paging is done. */
  source: string | undefined;
}

// Sets the night's scope (nightScope) and writes the "running" checkpoint.
async function startNight(state: State, config: Config, context: JobContext, started: Date): Promise<Night> {
  const log = context.log;
  const nowMs = config.now?.getTime() ?? started.getTime();
  const { cursor, floorMs, scope, paging } = await nightScope(state, config, nowMs, log);
  const source = await checkSource(state, config, log);
  const retry = retryOptions(config, context, log);
  const progress = startProgress(started.getTime(), pagingTarget(scope, cursor));
  const checkpoints = await StatusCheckpoints.start(config.stateDir, { version: context.version, holder: { pid: process.pid, command: context.command, startedAt: started.toISOString() }, cursor, floorMs, source }, { clock: Date.now, log });
  const report = (): void => {
    context.progress?.update(progress);
    checkpoints.progress(progress);
  };
  const replaySinceMs = config.redeliver ? config.backfill?.getTime() : undefined;
  return { config, context, state, log, started, nowMs, cursor, floorMs, scope, paging, retry, progress, checkpoints, report, replaySinceMs, source };
}

// Pages through the source and stages every page (DESIGN §1); a run stopped while paging left where it got to, and
// this one jumps there once it has read the new pages on top.
async function pagePhase(night: Night): Promise<{ readonly collected: Collected; readonly pagingMs: number }> {
  const { state, config, scope, progress, replaySinceMs, log } = night;
  await state.clearReplay(); // what an interrupted replay left
  const stored = night.paging;
  const scopeKey = pagingScopeKey(scope.horizonMs, config.includeHidden);
  const resume = stored !== undefined && stored.scope === scopeKey && replaySinceMs === undefined ? stored : undefined;
  const resumePoint = new ResumePoint(resume, scopeKey);
  const onPage = async (page: Page, staged: StageCounts) => {
    countPage(progress, page, staged.staged);
    night.report();
    const record = resumePoint.staged(page);
    if (record !== undefined) await state.setMeta('paging', record);
  };
  if (resume !== undefined) log.info({ resume: { top: resume.top, low: resume.low } }, 'resuming paging where an earlier run stopped, once the new pages on top are read');
  const collected = await collect(state, { config, cursorId: night.cursor?.id, scope, replaySinceMs, onPage, resume, retry: night.retry, log: log.child({ stage: 'source' }), realNow: Date.now });
  warnIfRewound(collected.counts, log);
  return { collected, pagingMs: Date.now() - night.started.getTime() };
}

// DESIGN §1: the cursor never moves back, and moves only once every page it covers is staged; paging is done, so the
// next run starts from page 0; the floor only ever moves back (older), and only once paging reached it (DESIGN §5).
async function cursorPhase(night: Night, collected: Collected): Promise<Cursor | undefined> {
  const { state, cursor } = night;
  const newest = collected.newest;
  let cursorAfter = cursor;
  if (newest !== undefined && (cursor === undefined || newest.id > cursor.id)) {
    cursorAfter = { id: newest.id, createdAt: newest.createdAt, movedAt: new Date().toISOString() };
    await state.setMeta('cursor', cursorAfter);
  }
  await state.setMeta('paging', undefined);
  night.source = await recordSource(state, night.config, night.source);
  const floor = nextFloor(night.scope, night.floorMs);
  if (floor !== undefined && floor !== night.floorMs) await state.setMeta('floor', floor);
  night.floorMs = floor;
  return cursorAfter;
}

// `--redeliver` (DESIGN §5): regroups the chats since `--backfill` as if none had been sent; null when not asked.
async function replayPhase(night: Night): Promise<RunSummary['replay']> {
  if (night.replaySinceMs === undefined) return null;
  enterPhase(night.progress, 'replaying', Date.now());
  const key = replaySuffix(night.started);
  const onConversation = () => (night.progress.replayed++, night.report());
  const { config, nowMs, log } = night;
  return { key, ...(await replayConversations(night.state, { sinceMs: night.replaySinceMs, gapMs: config.gapMs, maxSpanMs: config.maxSpanMs, maxBytes: config.maxBytes, keepReasoning: config.keepReasoning, nowMs, replay: key, onConversation, log: log.child({ stage: 'replay' }) })) };
}

// Delivers the closed conversations (DESIGN §3), then compacts what the night deleted.
async function deliverPhase(night: Night): Promise<NightResults['delivery']> {
  const { state, config, context, progress, log } = night;
  enterPhase(progress, 'delivering', Date.now());
  const deliveryStarted = Date.now();
  const { counts: delivered, lowestOpenChatId } = await deliver(state, {
    send: context.send ?? configuredSender(config, night.retry, context.version, log.child({ stage: 'delivery' })),
    ...conversationRules(config, night.nowMs),
    concurrency: config.concurrency,
    onDelivered: (ok: boolean) => (ok ? progress.sent++ : progress.failed++, night.report()),
    log: log.child({ stage: 'delivery' }),
  });
  const retracted = await retractionPhase(state, config, { delivered, retry: night.retry, version: context.version, send: context.sendRetraction, log: log.child({ stage: 'retractions' }) });
  const deliveryMs = Date.now() - deliveryStarted;
  // DESIGN §1 "Open": the next night re-reads back to the first turn of what is open now, whatever its own `now` says.
  await state.setMeta('openFrom', lowestOpenChatId);
  await state.compactDeleted();
  enterPhase(progress, 'done', Date.now());
  return { delivered, retracted, deliveryMs };
}

/** What the phases of a night that got to the end gave the summary. */
interface NightResults {
  readonly paged: { readonly collected: Collected; readonly pagingMs: number };
  readonly cursorAfter: Cursor | undefined;
  readonly replay: RunSummary['replay'];
  readonly delivery: { readonly delivered: DeliveryCounts; readonly retracted: RetractionCounts | null; readonly deliveryMs: number };
}

// The summary line's numbers (DESIGN §6), written as the status file's last run with the totals.
async function summaryPhase(night: Night, results: NightResults): Promise<RunSummary> {
  const { config, context, state, started, floorMs } = night;
  const { paged, cursorAfter, replay, delivery } = results;
  const delivered = delivery.delivered;
  const finished = new Date();
  const summary: RunSummary = {
    version: context.version,
    invocation: process.env['INVOCATION_ID'] ?? null,
    dryRun: config.dryRun,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    now: new Date(night.nowMs).toISOString(),
    cursorBefore: night.cursor?.id ?? null,
    cursorAfter: cursorAfter?.id ?? null,
    pages: paged.collected.pages,
    chats: paged.collected.counts,
    conversations: delivered,
    retractions: delivery.retracted,
    totals: await state.totals(),
    backfill: config.backfill?.toISOString() ?? null,
    floor: floorMs === undefined ? null : new Date(floorMs).toISOString(),
    replay,
    phases: { pagingMs: paged.pagingMs, deliveryMs: delivery.deliveryMs },
  };
  const lastRun = finishedRun(context.command, summary, deliveryProblem(delivered, config.webhookUrl) ?? retractionProblem(delivery.retracted, config.retractWebhookUrl));
  await night.checkpoints.finish({ cursor: cursorAfter, floorMs, source: night.source, lastRun, totals: { ...summary.totals, openConversations: delivered.open, countedAt: summary.finishedAt } });
  return summary;
}

// The error a failed night exits with (the stop signal's reason, or a LevelDB error as a state error), after writing
// it as the status file's last run, with the state's totals counted now, when the run got as far as its first checkpoint.
async function failNight(state: State, config: Config, context: JobContext, started: Date, night: Night | undefined, caught: unknown): Promise<unknown> {
  const error = context.signal.aborted ? context.signal.reason : asStateError(caught, config.stateDir, 'running the night');
  // The outbox as the stop left it (dead, parked, pending), so `status` shows it after any kind of stop.
  const totals = await state.totals().then((counted) => ({ ...counted, openConversations: null, countedAt: new Date().toISOString() })).catch(() => undefined);
  await night?.checkpoints.finish({ cursor: await state.meta('cursor').catch(() => undefined), floorMs: night.floorMs, lastRun: failedRun(context.command, started, error), totals }).catch(() => undefined);
  return error;
}
