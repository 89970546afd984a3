/** One chat record after validation: a user prompt and the assistant's reply, in one thread. */
export interface Turn {
  readonly id: number;
  readonly workspaceId: number;
  readonly workspaceName: string;
  readonly workspaceSlug: string;
  /** null is the workspace's default thread. */
  readonly threadId: number | null;
  /** Milliseconds since the epoch (UTC). */
  readonly createdAt: number;
  /** Milliseconds since the epoch of the server's `lastUpdatedAt`, or `createdAt` when absent. */
  readonly updatedAt: number;
  readonly user: string | null;
  readonly prompt: string;
  /** The assistant's text: `response.text` when `response` is a JSON object, else the raw string. */
  readonly reply: string;
  /** false when the user reset the chat history (AnythingLLM's `include`). */
  readonly include: boolean;
}
