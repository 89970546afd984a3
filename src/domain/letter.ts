/**
 * What `dead-letters` shows of any dead or parked outbox entry, a conversation's or a retraction's (DESIGN §3, §3b):
 * the chat history it belongs to, why it waits and how often it was tried. Ids and counts only, never text.
 */
export interface LetterFields {
  readonly workspace: { readonly id: number; readonly name: string; readonly slug: string };
  readonly threadId: number | null;
  /** The chat history's user, or null (absent from bodies frozen before schema 3: null). */
  readonly user: { readonly id: number; readonly username: string | null } | null;
  readonly apiSessionId: string | null;
  /** dead: retried by the next run; parked: refused by the webhook, waits for `dead-letters retry`. */
  readonly status: 'dead' | 'parked';
  /** The POSTs that tried it, over every run (entries failed before POSTs were counted hold their runs). */
  readonly attempts: number;
  readonly lastError: string | null;
  readonly failedAt: string | null;
}
