import type { RunSummary } from '../status/run-summary.js';
import type { StatusTotals } from '../status/status-shape.js';

/** How one run ended, as the monitoring hooks see it: fed by the RunSummary or the error the job returned. */
export interface RunReport {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly exitCode: number;
  /** The summary line ("run finished: …", or "MC_…: what failed"): the healthcheck's body. */
  readonly line: string;
  /** The run's counters, when it got to the end (exit 0 or 6). */
  readonly summary: RunSummary | undefined;
  /** What STATE_DIR held at the end (the summary's totals, else status.json's last known ones). */
  readonly totals: StatusTotals | undefined;
}
