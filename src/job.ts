import type { Logger } from 'pino';
import type { Config } from './config.js';
import { deliver } from './delivery/deliver.js';
import { configuredSender } from './delivery/configured-sender.js';
import type { SendConversation } from './delivery/webhook-sender.js';
import { McError, exitCodeOf, isMcError } from './errors.js';
import { collect, type Collected } from './job/collect.js';
import { killPoint } from './job/kill-point.js';
import { pagingScopeKey, ResumePoint, type PagingRecord } from './job/resume-point.js';
import { nextFloor, pagingTarget, rereadWindowEnd, runScope, type Scope } from './job/backfill-scope.js';
import type { ProgressDisplay } from './status/progress-display.js';
import type { Page } from './source/page.js';
import { replayConversations, replaySuffix } from './job/replay.js';
import { retryOptions } from './job/retry-options.js';
import { deliveryProblem } from './status/run-outcome.js';
import { countPage, enterPhase, startProgress } from './status/run-progress.js';
import type { RunSummary } from './status/run-summary.js';
import { StatusCheckpoints } from './status/status-checkpoints.js';
import type { LastRun } from './status/status-shape.js';
import { countTotals } from './status/totals.js';
import type { Cursor } from './state/records.js';
import type { StageCounts } from './state/stage-page.js';
import { codesOf, stateError } from './state/state-error.js';
import { State } from './state/state.js';

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
  /** Shows the run's progress (a terminal line, or a log line every 30 s). */
  readonly progress?: ProgressDisplay;
}

/** The nightly job (DESIGN §1–§4): page and stage, move the cursor, deliver closed conversations. */
export async function runNight(config: Config, context: JobContext): Promise<RunSummary> {
  const started = new Date();
  const nowMs = config.now?.getTime() ?? started.getTime();
  const state = await State.open(config.stateDir, context.command, { fixPermissions: config.fixPermissions, stateKey: config.stateKey });
  const log = context.log;
  let checkpoints: StatusCheckpoints | undefined;
  let floorMs: number | undefined;
  try {
    const cursor = await state.cursor();
    floorMs = (await state.meta.get('floor')) as number | undefined;
    // DESIGN §1: paging reaches back at least to every staged (open) turn, so a re-read shows what became of it, and
    // to REREAD_WINDOW before the cursor's createdAt (completed agent chats, edits, resets, deletions).
    const scope: Scope = { ...runScope(cursor?.id, floorMs, config.backfill?.getTime()), rereadToId: await state.lowestStagedChatId(), rereadToMs: rereadWindowEnd(cursor, config.rereadWindowMs) };
    const retry = retryOptions(config, context, log);
    const progress = startProgress(started.getTime(), pagingTarget(scope, cursor));
    checkpoints = await StatusCheckpoints.start(config.stateDir, { version: context.version, holder: { pid: process.pid, command: context.command, startedAt: started.toISOString() }, cursor, floorMs }, { clock: Date.now, log });
    const report = (): void => {
      context.progress?.update(progress);
      checkpoints?.progress(progress);
    };
    const replaySinceMs = config.redeliver ? config.backfill?.getTime() : undefined;
    await state.replay.clear(); // what an interrupted replay left
    // DESIGN §1: a run stopped while paging left where it got to; this one jumps there once it has read the new pages on top.
    const stored = (await state.meta.get('paging')) as PagingRecord | undefined;
    const scopeKey = pagingScopeKey(scope.horizonMs, config.includeHidden);
    const resume = stored !== undefined && stored.scope === scopeKey && replaySinceMs === undefined ? stored : undefined;
    const resumePoint = new ResumePoint(resume, scopeKey);
    const onPage = async (page: Page, staged: StageCounts) => {
      countPage(progress, page, staged.staged);
      report();
      const record = resumePoint.staged(page);
      if (record !== undefined) await state.meta.put('paging', record);
    };
    if (resume !== undefined) log.info({ resume: { top: resume.top, low: resume.low } }, 'resuming paging where an earlier run stopped, once the new pages on top are read');
    const collected = await collect(state, { config, cursorId: cursor?.id, scope, replaySinceMs, onPage, resume, retry, log: log.child({ stage: 'source' }), realNow: Date.now });
    const pagingMs = Date.now() - started.getTime();
    killPoint('paged');
    const cursorAfter = await moveCursor(state, cursor, collected);
    await state.meta.del('paging'); // paging is done: the next run starts from page 0
    floorMs = await moveFloor(state, scope, floorMs);
    killPoint('cursor-written');
    let replay: RunSummary['replay'] = null;
    if (replaySinceMs !== undefined) {
      enterPhase(progress, 'replaying', Date.now());
      const key = replaySuffix(started);
      const onConversation = () => (progress.replayed++, report());
      replay = { key, ...(await replayConversations(state, { sinceMs: replaySinceMs, gapMs: config.gapMs, nowMs, replay: key, onConversation, log: log.child({ stage: 'replay' }) })) };
    }
    enterPhase(progress, 'delivering', Date.now());
    const deliveryStarted = Date.now();
    const delivered = await deliver(state, {
      send: context.send ?? configuredSender(config, retry, context.version, log.child({ stage: 'delivery' })),
      gapMs: config.gapMs,
      nowMs,
      concurrency: config.concurrency,
      onDelivered: (ok: boolean) => (ok ? progress.sent++ : progress.failed++, report()),
      log: log.child({ stage: 'delivery' }),
    });
    const deliveryMs = Date.now() - deliveryStarted;
    await state.compactDeleted();
    enterPhase(progress, 'done', Date.now());
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
      backfill: config.backfill?.toISOString() ?? null,
      floor: floorMs === undefined ? null : new Date(floorMs).toISOString(),
      replay,
      phases: { pagingMs, deliveryMs },
    };
    await state.meta.put('lastRun', summary);
    const problem = deliveryProblem(delivered, config.webhookUrl);
    const lastRun: LastRun = { command: context.command, startedAt: summary.startedAt, finishedAt: summary.finishedAt, exitCode: problem === undefined ? 0 : exitCodeOf(problem), error: problem === undefined ? null : { code: problem.code, message: problem.message }, summary };
    await checkpoints.finish({ cursor: cursorAfter, floorMs, lastRun, totals: { ...summary.totals, openConversations: delivered.open, countedAt: summary.finishedAt } });
    return summary;
  } catch (caught) {
    const error = context.signal.aborted ? context.signal.reason : isMcError(caught) || !isLevelError(caught) ? caught : stateError(caught, config.stateDir, 'running the night');
    const failure: LastRun = { command: context.command, startedAt: started.toISOString(), finishedAt: new Date().toISOString(), exitCode: exitCodeOf(error), error: { code: isMcError(error) ? error.code : 'MC_INTERNAL', message: String((error as Error)?.message ?? error) }, summary: null };
    await checkpoints?.finish({ cursor: await state.cursor().catch(() => undefined), floorMs, lastRun: failure }).catch(() => undefined);
    throw error;
  } finally {
    await state.close();
  }
}

// DESIGN §1: the cursor never moves back, and moves only once every page it covers is staged.
async function moveCursor(state: State, cursor: Cursor | undefined, collected: Collected): Promise<Cursor | undefined> {
  const newest = collected.newest;
  if (newest === undefined || (cursor !== undefined && newest.id <= cursor.id)) return cursor;
  const moved: Cursor = { id: newest.id, createdAt: newest.createdAt, movedAt: new Date().toISOString() };
  await state.meta.put('cursor', moved);
  return moved;
}

// The floor only ever moves back (older), and only once paging reached it (DESIGN §5, README "Operations").
async function moveFloor(state: State, scope: Scope, floorMs: number | undefined): Promise<number | undefined> {
  const floor = nextFloor(scope, floorMs);
  if (floor !== undefined && floor !== floorMs) await state.meta.put('floor', floor);
  return floor;
}

function isLevelError(error: unknown): boolean {
  return codesOf(error).some((code) => code.startsWith('LEVEL_'));
}
