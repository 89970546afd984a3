import type { RunSummary } from './run-summary.js';
import type { Holder } from '../statedir/holder.js';
import type { Cursor } from '../store/records.js';
import type { Totals } from '../domain/state-totals.js';

/** What STATE_DIR/status.json holds (DESIGN §4): rewritten atomically by runs at each checkpoint, read by `status`. */
export interface StatusFile {
  /** This layout; older files (without it) are read as far as they go. */
  readonly format: 2;
  /** The memory-cron version that wrote the file. */
  readonly version: string;
  readonly updatedAt: string;
  /** True from a run's start to its end; a run killed meanwhile leaves it true with a holder that is gone. */
  readonly running: boolean;
  /** The run holding STATE_DIR while `running`. */
  readonly holder: Holder | null;
  /** The running run's counters at its last checkpoint. */
  readonly progress: Record<string, unknown> | null;
  readonly cursor: Cursor | null;
  /** The oldest `createdAt` taken in, when the first run was a `--backfill`; null = all history. */
  readonly floor: string | null;
  /** The source (`BASE_URL`) the state was built from; null or absent when none is recorded (file source, older runs). */
  readonly source?: string | null;
  readonly lastRun: LastRun | null;
  /** What the state held at the end of the last run (or `dead-letters retry`). */
  readonly totals: StatusTotals | null;
}

/** How the last finished run went. */
export interface LastRun {
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly exitCode: number;
  /** The error code and message of a failed run (exit ≠ 0), else null. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** The summary line's numbers, for a run that got to the end. */
  readonly summary: RunSummary | null;
}

/** The state's records, counted, and the open conversations among the staged turns. */
export interface StatusTotals extends Totals {
  /** null when unknown (counted by a command that does not regroup, like `dead-letters retry`). */
  readonly openConversations: number | null;
  readonly countedAt: string;
}
