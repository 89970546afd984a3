import type { Turn } from '../source/turn.js';

/** One message of the webhook body (DESIGN §3). */
export interface Message {
  readonly chatId: number;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly createdAt: string;
  /** The AnythingLLM username of a user's message, when the history has a user. */
  readonly user?: string;
}

/** The webhook body of one conversation (DESIGN §3). */
export interface Conversation {
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
