import type { Conversation } from './conversation.js';

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
