/** What progress counts of a page read (a source/ Page has it): its records, their usable ids and readable times (ms). */
export interface PageCounted {
  readonly records: readonly unknown[];
  readonly ids: readonly number[];
  readonly createdTimes: readonly number[];
}

/** Where paging will stop, for the ETA: a `createdAt` (the cursor's, or `--backfill`), or chat id 0 on a first run. */
export type PagingTarget = { readonly kind: 'time'; readonly ms: number } | { readonly kind: 'id' };

/** What a run has done so far: the progress line and the status file's checkpoints read it. */
export interface RunProgress {
  phase: 'paging' | 'replaying' | 'delivering' | 'done';
  startedAtMs: number;
  /** When delivery (or the replay) began, for its rate. */
  phaseStartedAtMs: number;
  pages: number;
  /** Records read. */
  chats: number;
  /** New turns staged. */
  staged: number;
  /** Conversations regrouped by a replay. */
  replayed: number;
  /** Conversations the webhook accepted. */
  sent: number;
  /** Deliveries that ended as dead letters or parked. */
  failed: number;
  readonly target: PagingTarget | undefined;
  /** Newest `createdAt` and highest id of page 0, and the oldest and lowest met since. */
  newestMs?: number;
  newestId?: number;
  oldestMs?: number;
  lowestId?: number;
}

/** A fresh progress record for a run that started at `nowMs`. */
export function startProgress(nowMs: number, target: PagingTarget | undefined): RunProgress {
  return { phase: 'paging', startedAtMs: nowMs, phaseStartedAtMs: nowMs, pages: 0, chats: 0, staged: 0, replayed: 0, sent: 0, failed: 0, target };
}

/** Counts a page read and staged. */
export function countPage(progress: RunProgress, page: PageCounted, staged: number): void {
  progress.pages++;
  progress.chats += page.records.length;
  progress.staged += staged;
  const times = page.createdTimes;
  const ids = page.ids;
  if (times.length > 0) {
    progress.newestMs = Math.max(progress.newestMs ?? Number.NEGATIVE_INFINITY, ...times);
    progress.oldestMs = Math.min(progress.oldestMs ?? Number.POSITIVE_INFINITY, ...times);
  }
  if (ids.length > 0) {
    progress.newestId = Math.max(progress.newestId ?? Number.NEGATIVE_INFINITY, ...ids);
    progress.lowestId = Math.min(progress.lowestId ?? Number.POSITIVE_INFINITY, ...ids);
  }
}

/** Moves to the next phase. */
export function enterPhase(progress: RunProgress, phase: RunProgress['phase'], nowMs: number): void {
  progress.phase = phase;
  progress.phaseStartedAtMs = nowMs;
}

/** How far paging has come toward its target, 0–1, or undefined when it cannot be told. */
export function pagingFraction(progress: RunProgress): number | undefined {
  const { target } = progress;
  if (target === undefined) return undefined;
  if (target.kind === 'time') {
    if (progress.newestMs === undefined || progress.oldestMs === undefined || progress.newestMs <= target.ms) return undefined;
    return clamp((progress.newestMs - progress.oldestMs) / (progress.newestMs - target.ms));
  }
  if (progress.newestId === undefined || progress.lowestId === undefined || progress.newestId <= 0) return undefined;
  return clamp((progress.newestId - progress.lowestId) / progress.newestId);
}

/** Items per second of the current phase and, while paging, the time left (ms) where a target allows one. */
export function estimate(progress: RunProgress, nowMs: number): { readonly perSecond: number; readonly etaMs: number | undefined } {
  const elapsedMs = Math.max(1, nowMs - progress.phaseStartedAtMs);
  const done = progress.phase === 'paging' ? progress.chats : progress.phase === 'replaying' ? progress.replayed : progress.sent + progress.failed;
  const perSecond = (done * 1000) / elapsedMs;
  const fraction = progress.phase === 'paging' ? pagingFraction(progress) : undefined;
  const etaMs = fraction === undefined || fraction < 0.01 ? undefined : Math.round((elapsedMs * (1 - fraction)) / fraction);
  return { perSecond, etaMs };
}

function clamp(value: number): number {
  return Math.min(1, Math.max(0, value));
}
