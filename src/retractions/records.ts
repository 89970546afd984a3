import type { Conversation } from '../domain/conversation.js';

/** What became of a sent chat (DESIGN §3b): proven deleted, hidden (`include: false`), or edited in place. */
export type ChangeKind = 'deleted' | 'hidden' | 'edited';

/** One message of an edited chat as it reads now: the prompt, then the reply when it has one. */
export interface RetractionMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/** One changed chat of a retraction body (DESIGN §3b); `messages` only for `edited`. */
export interface ChatChange {
  readonly chatId: number;
  readonly change: ChangeKind;
  readonly messages?: readonly RetractionMessage[];
}

/** The chat history fields a retraction repeats from the conversation it names. */
export type ConversationHead = Pick<Conversation, 'workspace' | 'threadId'> & {
  readonly user: { readonly id: number; readonly username: string | null } | null;
  readonly apiSessionId: string | null;
};

/** The webhook body of a retraction (DESIGN §3b; schema/retraction.schema.json). */
export interface RetractionBody extends ConversationHead {
  readonly type: 'retraction';
  /** `ret_` + a hash of the conversation and each chat's change: the same change, the same id. */
  readonly id: string;
  /** The id of the conversation that was sent. */
  readonly conversation: string;
  readonly chats: readonly ChatChange[];
  /** When the run that found the changes saw them (ISO). */
  readonly seenAt: string;
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
