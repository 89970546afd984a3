import type { Conversation, Message } from '../domain/conversation.js';
import type { Turn } from '../domain/turn.js';

/** Builds the webhook body of a conversation from its turns (one history, sorted, non-empty); empty replies are left out. */
export function toConversation(id: string, turns: readonly Turn[], continues: string | null): Conversation {
  const first = turns[0];
  const last = turns.at(-1);
  if (first === undefined || last === undefined) throw new TypeError('a conversation needs at least one turn');
  return {
    id,
    workspace: { id: last.workspaceId, name: last.workspaceName, slug: last.workspaceSlug },
    threadId: first.threadId,
    user: last.userId === null ? null : { id: last.userId, username: last.user },
    apiSessionId: last.apiSessionId,
    startedAt: new Date(first.createdAt).toISOString(),
    endedAt: new Date(last.createdAt).toISOString(),
    continues,
    messages: turns.flatMap(messagesOf),
  };
}

function messagesOf(turn: Turn): Message[] {
  const createdAt = new Date(turn.createdAt).toISOString();
  const asked: Message = { chatId: turn.id, role: 'user', content: turn.prompt, createdAt, ...(turn.userId === null || turn.user === null ? {} : { user: turn.user }) };
  if (turn.reply === '') return [asked];
  return [asked, { chatId: turn.id, role: 'assistant', content: turn.reply, createdAt }];
}
