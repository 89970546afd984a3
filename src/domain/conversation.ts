import type { Attachment, Source } from './turn.js';

/** One message of the webhook body (DESIGN §3). */
export interface Message {
  readonly chatId: number;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly createdAt: string;
  /** The AnythingLLM username of a user's message, when the history has a user. */
  readonly user?: string;
  /** On a user's message: the files stored with it, named and sized, never their content; absent when none. */
  readonly attachments?: readonly Attachment[];
  /** On an assistant's message: the documents the reply drew on, deduplicated; absent when none. */
  readonly sources?: readonly Source[];
}

/** The webhook body of one conversation (DESIGN §3); `schema/conversation.schema.json` describes it. */
export interface Conversation {
  /** Tells a conversation from a retraction event, for a receiver that takes both (DESIGN §3b). */
  readonly type: 'conversation';
  readonly id: string;
  readonly workspace: { readonly id: number; readonly name: string; readonly slug: string };
  readonly threadId: number | null;
  /** The history's AnythingLLM user; null in single-user mode and for the developer API. Absent in bodies frozen before schema 3. */
  readonly user?: { readonly id: number; readonly username: string | null } | null;
  /** The developer API's session id, or null. Absent in bodies frozen before schema 3. */
  readonly apiSessionId?: string | null;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly continues: string | null;
  readonly messages: readonly Message[];
}
