import type { Config } from '../config.js';
import type { JobContext } from '../job.js';
import { reconcileRules } from '../source/paging-scope.js';
import { asStateError } from '../statedir/state-error.js';
import { State } from '../store/state.js';
import { collect } from './collect.js';
import { retryOptions } from './retry-options.js';
import { countPage, startProgress } from '../status/run-progress.js';
import { noFindings, type StageCounts, type StageFindings } from '../domain/night-counts.js';
import type { RetractionTotals } from '../domain/state-totals.js';

/** A count and the chat ids behind it (ids only: never text). */
export interface IdList {
  readonly count: number;
  readonly ids: readonly number[];
}

/** What `reconcile` found (DESIGN §4), for its table and `--json`. */
export interface Reconciled {
  readonly stateDir: string;
  /** How far back it read (ISO), or null for all history. */
  readonly since: string | null;
  /** The cursor it compared below, or null when no night has finished paging (then nothing was read). */
  readonly cursor: number | null;
  readonly pages: number;
  readonly read: number;
  /** Chats at or below the cursor the state had never seen (a page shift hid them), staged now: the next night sends them. */
  readonly missed: IdList;
  readonly changedAfterSend: IdList;
  readonly hiddenAfterSend: IdList;
  readonly deletedAfterSend: IdList;
  /** Staged (unsent) chats replaced by what the source says now, and staged chats proven gone and unstaged. */
  readonly updated: number;
  readonly gone: number;
  /**
   * With RETRACT_WEBHOOK_URL set: the retractions in STATE_DIR once reconcile is done — the changes it found wait
   * (frozen and sent by the next night, DESIGN §3b) — sent, waiting, dead and parked; null when it is unset.
   */
  readonly retractions: { readonly sent: number; readonly waiting: number; readonly dead: number; readonly parked: number } | null;
  readonly durationMs: number;
}

/**
 * `memory-cron reconcile` (DESIGN §4): under the lock, re-reads the source from the newest chat back to `since`
 * (default: the floor, or all history) and stages every page as a night would — so what it reads wins for chats not
 * yet sent, staged chats proven gone are unstaged, and changes to sent chats are counted once — but takes in only
 * chats at or below the cursor (newer ones are the next night's), and moves neither the cursor nor the floor.
 * A chat it stages that had no mark at all is *missed*: a page shift hid it from the night that paged past it.
 * With RETRACT_WEBHOOK_URL set, the changes to sent chats it finds are kept to be told: the next night freezes and
 * sends them (DESIGN §3b), as it sends the missed chats; reconcile itself posts nothing.
 * Throws the McErrors of a night's paging (source, state, MC_DEADLINE, MC_ABORTED).
 */
export async function reconcile(config: Config, context: JobContext): Promise<Reconciled> {
  const started = Date.now();
  const state = await State.open(config.stateDir, context.command, { fixPermissions: config.fixPermissions, stateKey: config.stateKey });
  try {
    const cursor = await state.meta('cursor');
    const floorMs = await state.meta('floor');
    const sinceMs = later(config.since?.getTime(), floorMs);
    const findings = noFindings();
    const result = async (pages: number, counts: Pick<StageCounts, 'read' | 'updated' | 'gone'>): Promise<Reconciled> => ({
      stateDir: config.stateDir,
      since: sinceMs === undefined ? null : new Date(sinceMs).toISOString(),
      cursor: cursor?.id ?? null,
      pages,
      read: counts.read,
      ...idLists(findings),
      updated: counts.updated,
      gone: counts.gone,
      retractions: config.retractWebhookUrl === undefined ? null : retractionCounts(await state.retractionTotals()),
      durationMs: Date.now() - started,
    });
    if (cursor === undefined) return await result(0, { read: 0, updated: 0, gone: 0 });
    const progress = startProgress(started, sinceMs === undefined ? { kind: 'id' } : { kind: 'time', ms: sinceMs });
    const collected = await collect(state, {
      config,
      cursorId: cursor.id,
      retry: retryOptions(config, context, context.log),
      log: context.log.child({ stage: 'source' }),
      realNow: Date.now,
      findings,
      rules: reconcileRules(cursor.id, sinceMs),
      onPage: (page, staged) => {
        countPage(progress, page, staged.staged);
        context.progress?.update(progress);
      },
    });
    return await result(collected.pages, collected.counts);
  } catch (error) {
    throw context.signal.aborted ? context.signal.reason : asStateError(error, config.stateDir, 'reconciling');
  } finally {
    await state.close();
  }
}

function retractionCounts(totals: RetractionTotals): NonNullable<Reconciled['retractions']> {
  return { sent: totals.retractionsSent, waiting: totals.retractionsWaiting, dead: totals.retractionsDead, parked: totals.retractionsParked };
}

function later(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function idLists(findings: StageFindings): Pick<Reconciled, 'missed' | 'changedAfterSend' | 'hiddenAfterSend' | 'deletedAfterSend'> {
  const list = (ids: readonly number[]): IdList => ({ count: ids.length, ids: [...ids].sort((a, b) => a - b) });
  return { missed: list(findings.missed), changedAfterSend: list(findings.changedAfterSend), hiddenAfterSend: list(findings.hiddenAfterSend), deletedAfterSend: list(findings.deletedAfterSend) };
}
