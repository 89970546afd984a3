/** A file AnythingLLM stored with a chat (an image, a document, a voice note): named and sized, never its content (DESIGN §3). */
export interface Attachment {
  readonly name: string;
  readonly mime: string;
  /** The decoded size of its content, in bytes. */
  readonly bytes: number;
}

/** A document a reply drew on (DESIGN §3): its title and, when it has one on the web, its http(s) address; never its text. */
export interface Source {
  readonly title: string;
  readonly url?: string;
}

/** One chat record after validation: a user prompt and the assistant's reply, in one chat history. */
export interface Turn {
  readonly id: number;
  readonly workspaceId: number;
  readonly workspaceName: string;
  readonly workspaceSlug: string;
  /** null is the workspace's default thread, kept apart per user and per API session (DESIGN §2). */
  readonly threadId: number | null;
  /** AnythingLLM's `user_id`: the user who wrote the chat, null in single-user mode and for the developer API. */
  readonly userId: number | null;
  /** AnythingLLM's `api_session_id`: the developer API's `sessionId` (one per Slack user, say), or null. */
  readonly apiSessionId: string | null;
  /** Milliseconds since the epoch (UTC). */
  readonly createdAt: number;
  /** Milliseconds since the epoch of the server's `lastUpdatedAt`, or `createdAt` when absent. */
  readonly updatedAt: number;
  /** The record's `user.username` ("API" or "unknown user" for developer-API chats), or null. */
  readonly user: string | null;
  readonly prompt: string;
  /** The assistant's text: `response.text` when `response` is a JSON object, else the raw string. */
  readonly reply: string;
  /** The files stored with the user's message (`response.attachments`); absent when none. */
  readonly attachments?: readonly Attachment[];
  /** The documents the reply drew on (`response.sources`), deduplicated; absent when none. */
  readonly sources?: readonly Source[];
  /** false when the user reset the chat history or deleted the chat in the UI (AnythingLLM's `include`). */
  readonly include: boolean;
}
