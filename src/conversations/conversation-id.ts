import { createHash } from 'node:crypto';
import type { Turn } from '../domain/turn.js';

/** The conversation id: a hash of workspace, thread and chat ids, so the same chats always get the same id. */
export function conversationId(workspaceId: number, threadId: number | null, chatIds: readonly number[]): string {
  const sorted = [...chatIds].sort((a, b) => a - b);
  const digest = createHash('sha256').update(`${workspaceId}/${threadId ?? '-'}/${sorted.join(',')}`).digest('base64url');
  return `conv_${digest.slice(0, 32)}`;
}

/** The id of the conversation made of `turns` (one history, non-empty): `conversationId` of its first turn's workspace and thread and every turn's chat id. */
export function conversationIdOf(turns: readonly Turn[]): string {
  const first = turns[0];
  if (first === undefined) throw new TypeError('a conversation needs at least one turn');
  return conversationId(first.workspaceId, first.threadId, turns.map((turn) => turn.id));
}
