// What each phase of a night counts: the summary, status.json and the metrics report them (DESIGN §6); ids and counts only.

/** What staging one page did, chat by chat. */
export interface StageCounts {
  /** Records received. */
  read: number;
  /** New turns staged. */
  staged: number;
  /** Staged turns replaced by a re-read copy that says something else (a regenerated, edited, moved or hidden chat). */
  updated: number;
  /** New chats with `include: false`, skipped (a hidden chat shown later is staged then). */
  skipped: number;
  /** New bad records quarantined. */
  quarantined: number;
  /** Copies of chats already staged, sent, skipped or quarantined. */
  ignored: number;
  /** Staged chats proven deleted from the source by a re-read (idGaps), unstaged: never sent. */
  gone: number;
  /** Sent chats whose copy now says something else (an edit or regeneration), counted once per change, never resent. */
  changedAfterSend: number;
  /** Sent chats now hidden (`include: false`: a reset, or a user's delete in the UI). */
  hiddenAfterSend: number;
  /** Sent chats proven deleted from the source. */
  deletedAfterSend: number;
  /**
   * Copies whose identity differs from the chat last known under their id (DESIGN §1 "A chat's identity"): another
   * chat under a reused id — the source was restored from a backup or is another server. Staged as new (or skipped
   * when hidden); a staged, unsent chat it replaces is counted `gone` too.
   */
  reusedIds: number;
}

/** Chat ids behind some of the counts, for `reconcile`'s table (DESIGN §4); never text. */
export interface StageFindings {
  /** Chats never seen before (no mark, or a mark of another chat under a reused id), staged now. */
  readonly missed: number[];
  readonly changedAfterSend: number[];
  readonly hiddenAfterSend: number[];
  readonly deletedAfterSend: number[];
  /** Chats under reused ids, staged (or skipped) as new chats. */
  readonly reusedIds: number[];
}

/** An empty tally. */
export function zeroCounts(): StageCounts {
  return { read: 0, staged: 0, updated: 0, skipped: 0, quarantined: 0, ignored: 0, gone: 0, changedAfterSend: 0, hiddenAfterSend: 0, deletedAfterSend: 0, reusedIds: 0 };
}

/** An empty findings collector. */
export function noFindings(): StageFindings {
  return { missed: [], changedAfterSend: [], hiddenAfterSend: [], deletedAfterSend: [], reusedIds: [] };
}

/** An open conversation older than the span allows: its history, first turn and size (ids and counts only). */
export interface OpenTooLong {
  readonly history: string;
  readonly startedAt: string;
  readonly firstChatId: number;
  readonly chats: number;
  /** The span it was judged by (ms). */
  readonly spanMs: number;
}

/** What the delivery phase did: conversations sent, resent, dead and parked, and the open ones it left staged (not delivered). */
export interface DeliveryCounts {
  sent: number;
  /** Of `sent`, conversations frozen by an earlier run (a crash, or dead letters retried). */
  resent: number;
  /** New dead letters (retries ran out; retried next run). */
  dead: number;
  /** New parked conversations (refused with a permanent 4xx, or redirected). */
  parked: number;
  /** Of `parked`, those the webhook redirected (a 3xx, never followed). */
  redirected: number;
  /** Conversations still open, left staged for a later night, and their turns. */
  open: number;
  openTurns: number;
  /** Closed conversations planned this run that a cap cut (MAX_CONVERSATION_SPAN or MAX_CONVERSATION_BYTES: DESIGN §2 "Caps"). */
  capped: number;
  /** The open conversation open longer than the span allows (only while the cap is off), or null; absent in older summaries. */
  openTooLong?: OpenTooLong | null;
  /** Closed conversations never tried because the webhook was taken to be down: staged (or in the outbox) for the next run, which sends them first. */
  waiting: number;
  webhookDown: boolean;
  /** Nothing listened at the webhook on the night's first deliveries (refused, unknown host): delivery stopped at once, nothing marked. */
  unreachable: boolean;
  /** The error of the last failed delivery (`HTTP 401: invalid signature`, a network error), or null. */
  lastError: string | null;
}

/** What a run did with retractions (DESIGN §3b): frozen, sent, new dead and parked, and what still waits. */
export interface RetractionCounts {
  /** Retractions frozen this run from the changes found (by this night's re-read or an earlier `reconcile`). */
  frozen: number;
  sent: number;
  /** Of `sent`, retractions frozen by an earlier run (a crash, dead ones retried). */
  resent: number;
  dead: number;
  parked: number;
  /** Frozen and not sent at the end of the run, dead and parked ones included. */
  waiting: number;
  webhookDown: boolean;
  lastError: string | null;
}

/** Consecutive failed deliveries after which the webhook is taken to be down (DESIGN §3). */
export const webhookDownAfter = 10;
