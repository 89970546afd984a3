import type { Conversation } from '../conversations/conversation.js';

/** The per-chat mark (a processed key): what became of a chat id, so a re-read never stages or sends it twice. */
export type ChatMark =
  | { readonly s: 'staged'; readonly k: string; readonly u: number }
  | { readonly s: 'conv'; readonly c: string }
  | { readonly s: 'hidden' }
  | { readonly s: 'bad' };

/** Where a frozen conversation stands in the outbox. */
export type OutboxStatus = 'pending' | 'dead' | 'parked';

/** A closed conversation frozen before its first POST: retries and resends send exactly this. */
export interface OutboxEntry {
  readonly conversation: Conversation;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly frozenAt: string;
  readonly lastError?: string;
  readonly failedAt?: string;
  /** Set by a `--redeliver` replay: the Idempotency-Key suffix of this replay. */
  readonly replay?: string;
}

/** A conversation the webhook accepted. */
export interface SentRecord {
  readonly thread: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly chats: number;
  readonly sentAt: string;
}

/** A thread's latest conversation handed to delivery, for `continues` (DESIGN §2). */
export interface LastSent {
  readonly id: string;
  /** Absent in records written before it was kept; then taken as `endedAt`. */
  readonly startedAt?: number;
  readonly endedAt: number;
}

/** A record that failed validation, kept with its reason and the raw record. */
export interface QuarantineRecord {
  readonly id: number | null;
  readonly reason: string;
  readonly raw: unknown;
  readonly at: string;
}

/** The last-seen cursor (DESIGN §1). */
export interface Cursor {
  readonly id: number;
  readonly createdAt: string | null;
  readonly movedAt: string;
}
