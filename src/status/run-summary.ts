import type { Totals } from '../domain/state-totals.js';
import type { DeliveryCounts, StageCounts, RetractionCounts } from '../domain/night-counts.js';

/** What a run reports: the summary line and the status file's `lastRun` (DESIGN §6). */
export interface RunSummary {
  readonly version: string;
  readonly invocation: string | null;
  /** True for `run --dry-run`: nothing was posted and STATE_DIR is unchanged, whatever `conversations.sent` says. */
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** The instant that decided which conversations are closed. */
  readonly now: string;
  readonly cursorBefore: number | null;
  readonly cursorAfter: number | null;
  readonly pages: number;
  readonly chats: PagingCounts;
  readonly conversations: DeliveryCounts;
  /** What the run did with retractions (DESIGN §3b), or null when RETRACT_WEBHOOK_URL is unset (changes only counted in `chats`). */
  readonly retractions: RetractionCounts | null;
  readonly totals: Totals;
  /** `--backfill` as an instant, or null. */
  readonly backfill: string | null;
  /** The oldest `createdAt` the state takes in (set by a first run with `--backfill`), or null for all history. */
  readonly floor: string | null;
  /** What a `--redeliver` replay did, or null. */
  readonly replay: (Replayed & { readonly key: string }) | null;
  /** Milliseconds spent paging, then delivering (DESIGN §2: nothing is delivered while paging). */
  readonly phases: { readonly pagingMs: number; readonly deliveryMs: number };
}

/** What paging counted: every record read (`read`), what staging did with them, and `older`: those left alone as older than the run's horizon (DESIGN §5). */
export type PagingCounts = StageCounts & { readonly older: number };

/** What the replay did. */
export interface Replayed {
  /** Closed conversations frozen in the outbox with the replay's key, sent by the delivery that follows. */
  frozen: number;
  /** Open conversations whose chats were staged again, to be sent whole once closed. */
  reopened: number;
  /** Earlier conversations (sent or waiting) that the regrouped ones replace. */
  superseded: number;
}
