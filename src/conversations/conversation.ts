import type { Conversation } from '../domain/conversation.js';
import type { Turn } from '../domain/turn.js';
import { conversationIdOf } from './conversation-id.js';
import { turnMessages, type MessageOptions } from './turn-messages.js';

/** The conversation of a chat history before the one being built: its id and its last turn's time (ms since the epoch). */
export interface PreviousConversation {
  readonly id: string;
  readonly endedAt: number;
}

/**
 * The webhook body (DESIGN §3) of a closed conversation: `turns` (one chat history, sorted by createdAt then id, non-empty,
 * as the rolling gap cut them), its id derived from their chats (`conversationIdOf`), and `continues` by the one rule of
 * DESIGN §2 (`continuesFrom`) against `previous`, the history's conversation before it that the caller chose: the latest
 * sent one that ended at or before this one starts (a replay: its own previous one, or a sent one it does not replace).
 */
export function buildConversation(turns: readonly Turn[], previous: PreviousConversation | undefined, gapMs: number, options: MessageOptions = {}): Conversation {
  const first = turns[0];
  if (first === undefined) throw new TypeError('a conversation needs at least one turn');
  return toConversation(conversationIdOf(turns), turns, continuesFrom(previous, first.createdAt, gapMs), options);
}

/**
 * The `continues` field (DESIGN §2): `previous`'s id when it ended at or before `startedAt` and at most `gapMs` before it
 * (a gap equal to the window counts); otherwise null. Times in ms since the epoch.
 */
export function continuesFrom(previous: PreviousConversation | undefined, startedAt: number, gapMs: number): string | null {
  return previous !== undefined && previous.endedAt <= startedAt && startedAt - previous.endedAt <= gapMs ? previous.id : null;
}

/**
 * Assembles the webhook body from its turns (one history, sorted, non-empty) with the `id` and `continues` given: a frozen
 * conversation's body rebuilt as it was frozen (`bodyOf`). New conversations are built with `buildConversation`.
 * Each turn's messages are written by `turnMessages` with `options` (reasoning removed unless kept; empty replies
 * left out).
 */
export function toConversation(id: string, turns: readonly Turn[], continues: string | null, options: MessageOptions = {}): Conversation {
  const first = turns[0];
  const last = turns.at(-1);
  if (first === undefined || last === undefined) throw new TypeError('a conversation needs at least one turn');
  return {
    type: 'conversation',
    id,
    workspace: { id: last.workspaceId, name: last.workspaceName, slug: last.workspaceSlug },
    threadId: first.threadId,
    user: last.userId === null ? null : { id: last.userId, username: last.user },
    apiSessionId: last.apiSessionId,
    startedAt: new Date(first.createdAt).toISOString(),
    endedAt: new Date(last.createdAt).toISOString(),
    continues,
    messages: turns.flatMap((turn) => turnMessages(turn, options)),
  };
}
