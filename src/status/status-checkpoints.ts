import type { Logger } from 'pino';
import type { Holder } from '../statedir/holder.js';
import type { Cursor } from '../store/records.js';
import { readStatusFile, writeStatusFile } from '../statedir/status-file.js';
import { progressFields } from './progress-display.js';
import type { RunProgress } from './run-progress.js';
import type { LastRun, StatusFile, StatusTotals } from './status-shape.js';
import type { Totals } from '../domain/state-totals.js';

/** What a run says about itself when it starts. */
export interface CheckpointStart {
  readonly version: string;
  readonly holder: Holder;
  readonly cursor: Cursor | undefined;
  readonly floorMs: number | undefined;
  /** The source (`BASE_URL`) on record, if any. */
  readonly source?: string | undefined;
}

/** How the run ended, for the final rewrite; `totals` undefined keeps the last known ones. */
export interface CheckpointEnd {
  readonly cursor: Cursor | undefined;
  readonly floorMs: number | undefined;
  /** The source on record at the end; undefined keeps the one of the start. */
  readonly source?: string | undefined;
  readonly lastRun: LastRun;
  readonly totals?: StatusTotals | undefined;
}

/**
 * Rewrites STATE_DIR/status.json at a run's checkpoints (DESIGN §4): at the start (running, who holds the
 * state, the previous run and totals kept), with the counters at most every `everyMs` while it works, and at
 * the end. Writes are queued one after another, so the final one is the last on disk.
 */
export class StatusCheckpoints {
  private current: StatusFile;
  private queue: Promise<void> = Promise.resolve();
  private lastWrite = Number.NEGATIVE_INFINITY;
  private failed = false;

  private constructor(private readonly stateDir: string, start: CheckpointStart, previous: Partial<StatusFile> | undefined, private readonly clock: () => number, private readonly log: Logger, private readonly everyMs: number) {
    this.current = {
      format: 2,
      version: start.version,
      updatedAt: new Date(clock()).toISOString(),
      running: true,
      holder: start.holder,
      progress: null,
      cursor: start.cursor ?? null,
      floor: floorText(start.floorMs),
      source: start.source ?? previous?.source ?? null,
      lastRun: isLastRun(previous?.lastRun) ? previous.lastRun : null,
      totals: previous?.totals ?? null,
    };
  }

  /** Writes the "running" checkpoint; a status file that cannot be written fails the run as before. */
  static async start(stateDir: string, start: CheckpointStart, options: { clock: () => number; log: Logger; everyMs?: number }): Promise<StatusCheckpoints> {
    const previous = await readStatusFile<Partial<StatusFile>>(stateDir).catch(() => undefined);
    const checkpoints = new StatusCheckpoints(stateDir, start, previous, options.clock, options.log, options.everyMs ?? 1000);
    await writeStatusFile(stateDir, checkpoints.current);
    checkpoints.lastWrite = options.clock();
    return checkpoints;
  }

  /** Records the counters, writing at most every `everyMs` (a failed write is logged once; the run goes on). */
  progress(progress: Readonly<RunProgress>, cursor?: Cursor): void {
    const now = this.clock();
    if (now - this.lastWrite < this.everyMs) return;
    this.lastWrite = now;
    this.current = { ...this.current, updatedAt: new Date(now).toISOString(), progress: progressFields(progress, now), ...(cursor === undefined ? {} : { cursor }) };
    const snapshot = this.current;
    this.queue = this.queue.then(() => writeStatusFile(this.stateDir, snapshot)).catch((error: unknown) => {
      if (!this.failed) this.log.warn({ err: error }, 'status.json could not be rewritten; `memory-cron status` shows an older checkpoint');
      this.failed = true;
    });
  }

  /** Writes the final checkpoint: not running, the last run, the totals. */
  async finish(end: CheckpointEnd): Promise<void> {
    await this.queue;
    this.current = {
      ...this.current,
      updatedAt: new Date(this.clock()).toISOString(),
      running: false,
      holder: null,
      progress: null,
      cursor: end.cursor ?? null,
      floor: floorText(end.floorMs),
      source: end.source ?? this.current.source ?? null,
      lastRun: end.lastRun,
      totals: end.totals ?? this.current.totals,
    };
    await writeStatusFile(this.stateDir, this.current);
  }
}

function floorText(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function isLastRun(value: unknown): value is LastRun {
  return value !== null && typeof value === 'object' && typeof (value as LastRun).exitCode === 'number';
}

/** Rewrites the totals of an existing status.json after a command changed the state (`dead-letters retry`); keeps the rest. */
export async function updateStatusTotals(stateDir: string, totals: Totals): Promise<void> {
  const previous = await readStatusFile<Partial<StatusFile>>(stateDir);
  if (previous === undefined) return;
  const countedAt = new Date().toISOString();
  await writeStatusFile(stateDir, { ...previous, updatedAt: countedAt, totals: { ...totals, openConversations: previous.totals?.openConversations ?? null, countedAt } });
}

/**
 * Records in status.json that the run which started at `startedAt` (ISO) and wrote its final checkpoint was then
 * stopped — SIGINT, SIGTERM or RUN_DEADLINE after delivery — so its last run shows the exit the process ends with
 * (`exitCode`, `error`: code and message); its summary and everything else stay. Written only while that run is still
 * the last one (same `startedAt`) and no run is going (`running` false): a run started meanwhile is left alone.
 * Resolves to whether status.json was rewritten; a write that fails throws, as writeStatusFile does.
 */
export async function recordStopAfterEnd(stateDir: string, startedAt: string, stop: { readonly exitCode: number; readonly error: { readonly code: string; readonly message: string } }): Promise<boolean> {
  const previous = await readStatusFile<Partial<StatusFile>>(stateDir);
  const lastRun = previous?.lastRun;
  if (previous === undefined || previous.running === true || !isLastRun(lastRun) || lastRun.startedAt !== startedAt) return false;
  await writeStatusFile(stateDir, { ...previous, lastRun: { ...lastRun, exitCode: stop.exitCode, error: stop.error } });
  return true;
}
