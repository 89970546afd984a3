import type { Conversation, Message } from '../domain/conversation.js';
import type { ResumeFrom } from '../domain/resume-from.js';
import type { ChangeKind, ConversationHead, RetractionBody, RetractionMessage } from '../domain/retraction.js';

/**
 * The per-chat mark (a processed key): what became of a chat id, so a re-read never stages or sends it twice.
 * `conv`: frozen in conversation `c` (sent or in the outbox), with `h` the chat-digest.ts digest of what was frozen
 * (absent in marks written before it existed; `-` once the chat is known deleted). `gone`: staged once, then proven
 * deleted from the source by a re-read (DESIGN §1), and unstaged. `i` is the chat-identity.ts digest of the frozen
 * chat (absent in marks written before schema 4: their sent conversation's history and time range stand for it, see
 * reused-ids.ts). `hidden` with `r`: a hidden chat under an id that belonged to a sent chat (its conversation, once
 * shown, must not take the id of one sent before).
 */
export type ChatMark =
  | { readonly s: 'staged'; readonly k: string; readonly u: number }
  | { readonly s: 'conv'; readonly c: string; readonly h?: string; readonly i?: string }
  | { readonly s: 'hidden'; readonly r?: string }
  | { readonly s: 'gone' }
  | { readonly s: 'bad' };

/** Where a frozen conversation stands in the outbox. */
export type OutboxStatus = 'pending' | 'dead' | 'parked';

/**
 * A conversation's webhook body, its messages kept only when its turns do not stay staged (see OutboxEntry); `type`
 * is absent in bodies frozen before it existed (bodyOf puts it back).
 */
export type FrozenConversation = Omit<Conversation, 'messages' | 'type'> & { readonly type?: 'conversation'; readonly messages?: readonly Message[] };

/**
 * A closed conversation frozen before its first POST (DESIGN §4: "its id and chat ids"): the body without its
 * messages, and the keys of its turns, which stay in `turns` until the webhook's 2xx — retries and resends rebuild
 * exactly the same body from them. A `--redeliver` replay's conversation, and one whose turns a replay took over,
 * keeps its messages instead (and no turn keys).
 */
export interface OutboxEntry {
  readonly conversation: FrozenConversation;
  /** Its turns' keys in `turns`, in order; absent when `conversation.messages` is kept. */
  readonly turnKeys?: readonly string[];
  readonly status: OutboxStatus;
  /** The POSTs that tried to deliver it, over every run and `dead-letters retry` (entries failed before this was counted hold their runs). */
  readonly attempts: number;
  readonly frozenAt: string;
  readonly lastError?: string;
  readonly failedAt?: string;
  /** Set by a `--redeliver` replay: the Idempotency-Key suffix of this replay. */
  readonly replay?: string;
}

/** A conversation the webhook accepted. */
export interface SentRecord {
  /** Its chat history's key (schema 3; see keys.ts historyKey). */
  readonly history?: string;
  /** Its thread's key, in records written before schema 3. */
  readonly thread?: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly chats: number;
  readonly sentAt: string;
  /** Its workspace, thread, user and API session as sent, for a retraction naming it (absent in records written before). */
  readonly head?: ConversationHead;
}

/** A sent conversation in its history's index, keyed by history and end time (DESIGN §2 `continues`). */
export interface HistorySent {
  readonly id: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

/**
 * A conversation in the night's delivery plan, keyed by start time then id (DESIGN §3 "Order"): its history, and
 * either the keys of its staged turns (frozen just before its POST) or nothing, for one already in the outbox.
 */
export interface PlanItem {
  readonly history: string;
  readonly turnKeys?: readonly string[];
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

/**
 * What STATE_DIR's `meta/paging` holds while paging is unfinished (DESIGN §1: a history too long for one run's
 * deadline completes over several runs): the range of ids read contiguously from some run's first page down
 * (job/resume-point.ts), and the scope it was read with — a later run may skip that range only when it takes in
 * no more than that run did.
 */
export interface PagingRecord extends ResumeFrom {
  /** Scope of the run that read it: `horizonMs` (null = all history) and `--include-hidden`. */
  readonly scope: string;
}


/** A change found by a re-read and not yet frozen into a retraction: the kind, its told digest, the text now (edited). */
export interface FoundChange {
  readonly kind: ChangeKind;
  /** What the chat's mark holds once this change is told (told-digest.ts). */
  readonly h: string;
  readonly messages?: readonly RetractionMessage[];
  readonly seenAt: string;
  /** The history fields, from the copy that showed the change (absent for a deletion: no copy). */
  readonly head?: ConversationHead;
}

/**
 * The `changed` sublevel's record of a sent chat (keyed by padded chat id) while something about it is still to be
 * told: `p` the change found and not yet frozen, `f` the retraction it is frozen in (not yet sent) and its digest.
 * Holds the text now of an edited chat until its retraction is sent (sealed with a state key).
 */
export interface ChangedChat {
  /** The conversation the chat was sent in. */
  readonly c: string;
  readonly p?: FoundChange;
  readonly f?: { readonly r: string; readonly h: string };
}

/** Where a frozen retraction stands (as a conversation's outbox entry). */
export type RetractionStatus = 'pending' | 'dead' | 'parked';

/** A retraction frozen before its first POST: the exact body, and each chat's digest once it is told. */
export interface RetractionEntry {
  readonly body: RetractionBody;
  /** Chat id → the digest its mark takes once the receiver accepted this retraction. */
  readonly told: readonly { readonly chatId: number; readonly h: string }[];
  readonly status: RetractionStatus;
  /** The runs (or `dead-letters retry`s) that tried it. */
  readonly attempts: number;
  readonly frozenAt: string;
  readonly lastError?: string;
  readonly failedAt?: string;
}

/** A retraction the webhook accepted (ids and counts only). */
export interface RetractedRecord {
  readonly conversation: string;
  readonly chats: number;
  readonly sentAt: string;
}

/** The night's own records in the state (`meta`), by name: what State.meta reads and State.setMeta writes. */
export interface NightRecords {
  /** The cursor (DESIGN §1): moved only once every page it covers is staged, and never back. */
  cursor: Cursor;
  /** The oldest `createdAt` (ms) taken in when the first run was a `--backfill` (DESIGN §5); absent = all history. */
  floor: number;
  /** Present while paging is unfinished (a run stopped by its deadline or killed): where the next run resumes. */
  paging: PagingRecord;
  /**
   * The date (ms) of a first `--backfill` that has not stored its floor yet, written before its first page is read:
   * a run it stopped at any point (the source down on page 0 included) is carried on, never widened to all history.
   * Dropped with the floor's write.
   */
  firstBackfill: number;
  /** The source the state was built from (`BASE_URL`), written once a night's paging is done (DESIGN §1). */
  source: string;
  /**
   * The lowest chat id of the conversations open when the last night ended (judged with that night's `now`): the next
   * night re-reads back to it whatever its own `now` says (DESIGN §1 "Open"). Absent when none was open.
   */
  openFrom: number;
}
