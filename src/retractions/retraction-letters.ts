import type { LetterFields } from '../domain/letter.js';
import type { State } from '../store/state.js';
import type { RetractionEntry } from '../store/records.js';

/** One dead or parked retraction as `dead-letters --json` lists it, beside the conversations (ids and counts only). */
export interface RetractionLetterView extends LetterFields {
  readonly retraction: string;
  /** The conversation it names. */
  readonly conversation: string;
  readonly seenAt: string;
  /** Its changed chats, by change. */
  readonly chats: { readonly deleted: number; readonly hidden: number; readonly edited: number };
}

/** The retraction outbox for `dead-letters`: the dead and parked ones, and how many wait pending. */
export async function retractionLetters(state: State): Promise<{ letters: RetractionLetterView[]; pending: number }> {
  const entries = await state.retractionEntries(['pending', 'dead', 'parked']);
  return { letters: entries.filter((entry) => entry.status !== 'pending').map(view), pending: entries.filter((entry) => entry.status === 'pending').length };
}

/** A retraction's row of the `dead-letters` table, in its columns (CONVERSATION, WORKSPACE, CHAT HISTORY, STATUS, ATTEMPTS, FAILED AT, LAST ERROR): `ret_… → conv_…`. */
export function retractionRow(letter: RetractionLetterView, history: string): string[] {
  return [`${letter.retraction} → ${letter.conversation}`, `${letter.workspace.name} (${letter.workspace.id})`, history, `${letter.status} retraction`, String(letter.attempts), letter.failedAt ?? '-', letter.lastError ?? '-'];
}

function view(entry: RetractionEntry): RetractionLetterView {
  const { body } = entry;
  const count = (change: string) => body.chats.filter((chat) => chat.change === change).length;
  return {
    retraction: body.id,
    conversation: body.conversation,
    workspace: body.workspace,
    threadId: body.threadId,
    user: body.user,
    apiSessionId: body.apiSessionId,
    status: entry.status === 'parked' ? 'parked' : 'dead',
    attempts: entry.attempts,
    lastError: entry.lastError ?? null,
    failedAt: entry.failedAt ?? null,
    seenAt: body.seenAt,
    chats: { deleted: count('deleted'), hidden: count('hidden'), edited: count('edited') },
  };
}
