import type { RunSummary } from '../status/run-summary.js';
import type { LastRun, StatusFile } from '../status/status-shape.js';
import type { Holder } from '../statedir/holder.js';
import type { Cursor } from '../store/records.js';

/** What `memory-cron status --json` prints: one object, the same fields whether a run is going or not. */
export interface StatusView {
  readonly stateDir: string;
  /** False on a STATE_DIR where nothing has run yet (then every other field is null). */
  readonly ranBefore: boolean;
  /** never-ran · idle · running (a process holds STATE_DIR's lock) · interrupted (a run died without its last checkpoint). */
  readonly state: 'never-ran' | 'idle' | 'running' | 'interrupted';
  readonly running: boolean;
  readonly holder: Holder | null;
  /** The running run's counters at its last checkpoint (at most a second old). */
  readonly progress: Record<string, unknown> | null;
  /** When status.json was last rewritten. */
  readonly updatedAt: string | null;
  readonly cursor: Cursor | null;
  readonly floor: string | null;
  /** The source (`BASE_URL`) the state was built from, or null when none is recorded (a file source, or no night yet). */
  readonly source: string | null;
  readonly lastRun: LastRunView | null;
  /** Counted at the end of the last run (`countedAt`). */
  readonly counts: CountsView | null;
}

/** The last finished run: when, how it ended, what it counted. */
export interface LastRunView {
  readonly command: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly exitCode: number | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly chats: RunSummary['chats'] | null;
  readonly conversations: RunSummary['conversations'] | null;
  readonly backfill: string | null;
  readonly replay: RunSummary['replay'];
  /** What the run did with retractions; null when RETRACT_WEBHOOK_URL was unset (or the summary predates them). */
  readonly retractions: RunSummary['retractions'];
}

/** What the state held, counted. */
export interface CountsView {
  readonly openConversations: number | null;
  readonly stagedChats: number;
  readonly sentConversations: number;
  readonly pending: number;
  readonly deadLetters: number;
  readonly parked: number;
  readonly quarantined: number;
  /** Retractions sent, waiting, dead and parked (DESIGN §3b); zeros in totals counted before retractions existed. */
  readonly retractions: { readonly sent: number; readonly waiting: number; readonly dead: number; readonly parked: number };
  readonly countedAt: string | null;
}

/** What STATE_DIR's LevelDB lock said when status was asked (holder-alive.ts). */
export interface LockView {
  /** A process holds the state (its LevelDB lock is taken). */
  readonly held: boolean;
  /** The holder holder.json records (every command that opens the state writes it there), if any. */
  readonly holder?: Holder | undefined;
}

/**
 * Builds the status view from status.json (undefined: nothing has run) and what the lock says (DESIGN §4): the state
 * is `running` exactly when the lock is held — by a run, or by another command (`dead-letters`, `reconcile`) — and
 * `interrupted` when status.json says a run was going but nothing holds the lock any more. The holder shown is the
 * run status.json names, unless holder.json names another process (then that one, without progress).
 */
export function statusView(stateDir: string, file: Partial<StatusFile> | undefined, lock: LockView = { held: false }): StatusView {
  if (file === undefined) {
    return { stateDir, ranBefore: false, state: 'never-ran', running: false, holder: null, progress: null, updatedAt: null, cursor: null, floor: null, source: null, lastRun: null, counts: null };
  }
  const recorded = file.running === true ? (file.holder ?? null) : null;
  const locker = lock.holder ?? null;
  const recordedHolds = recorded !== null && (locker === null || locker.pid === recorded.pid);
  const live = lock.held;
  return {
    stateDir,
    ranBefore: true,
    state: live ? 'running' : file.running === true ? 'interrupted' : 'idle',
    running: live,
    holder: live ? (recordedHolds ? recorded : locker) : recorded,
    progress: live && recordedHolds ? (file.progress ?? null) : null,
    updatedAt: file.updatedAt ?? null,
    cursor: file.cursor ?? null,
    floor: file.floor ?? null,
    source: file.source ?? null,
    lastRun: lastRunView(file.lastRun ?? null),
    counts: countsView(file),
  };
}

function lastRunView(lastRun: LastRun | null): LastRunView | null {
  if (lastRun === null || typeof lastRun !== 'object') return null;
  const summary = lastRun.summary ?? null;
  const started = lastRun.startedAt ?? null;
  const finished = lastRun.finishedAt ?? null;
  return {
    command: lastRun.command ?? null,
    startedAt: started,
    finishedAt: finished,
    durationMs: started !== null && finished !== null ? Date.parse(finished) - Date.parse(started) : null,
    exitCode: typeof lastRun.exitCode === 'number' ? lastRun.exitCode : null,
    error: lastRun.error ?? null,
    chats: summary?.chats ?? null,
    conversations: summary?.conversations ?? null,
    backfill: summary?.backfill ?? null,
    replay: summary?.replay ?? null,
    retractions: summary?.retractions ?? null,
  };
}

function countsView(file: Partial<StatusFile>): CountsView | null {
  const totals = file.totals;
  if (totals === null || totals === undefined) return null;
  return {
    openConversations: totals.openConversations ?? null,
    stagedChats: totals.stagedTurns,
    sentConversations: totals.sentConversations,
    pending: totals.pending,
    deadLetters: totals.deadLetters,
    parked: totals.parked,
    quarantined: totals.quarantined,
    retractions: { sent: totals.retractionsSent ?? 0, waiting: totals.retractionsWaiting ?? 0, dead: totals.retractionsDead ?? 0, parked: totals.retractionsParked ?? 0 },
    countedAt: totals.countedAt ?? null,
  };
}
