// What STATE_DIR holds, counted (State.totals): `status`, status.json and the metrics show it (DESIGN §4, §6). Ids
// and counts only.

/** Retractions counted in STATE_DIR (DESIGN §3b). */
export interface RetractionTotals {
  /** Accepted by RETRACT_WEBHOOK_URL, ever. */
  retractionsSent: number;
  /** To be sent: frozen and pending, and the conversations with changes found and not yet frozen (one retraction each). */
  retractionsWaiting: number;
  /** Dead: retries ran out; retried by the next run. */
  retractionsDead: number;
  /** Parked: refused with a permanent 4xx; retried by `dead-letters retry`. */
  retractionsParked: number;
}

/** Everything STATE_DIR holds, counted. */
export interface Totals extends RetractionTotals {
  /** Turns staged and not frozen in the outbox (a frozen conversation's turns stay staged until its 2xx). */
  stagedTurns: number;
  /** Conversations the webhook accepted (their sent records). */
  sentConversations: number;
  /** Outbox entries pending (frozen, not yet sent). */
  pending: number;
  /** Outbox entries dead: retries ran out; retried by the next run. */
  deadLetters: number;
  /** Outbox entries parked: refused with a permanent 4xx; retried by `dead-letters retry`. */
  parked: number;
  /** Bad records kept in the quarantine. */
  quarantined: number;
}
