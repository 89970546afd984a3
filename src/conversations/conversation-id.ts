import { createHash } from 'node:crypto';
import type { Turn } from '../domain/turn.js';

/**
 * The conversation id: a hash of workspace, thread and chat ids, so the same chats always get the same id. A chat
 * under a reused id (DESIGN §1 "A chat's identity") enters as `id@identity` (`reused`: chat id → identity digest),
 * so a conversation holding one never gets the id of a conversation sent before; without such chats the id is
 * exactly the plain one.
 */
export function conversationId(workspaceId: number, threadId: number | null, chatIds: readonly number[], reused: ReadonlyMap<number, string> = new Map()): string {
  const sorted = [...chatIds].sort((a, b) => a - b).map((id) => (reused.has(id) ? `${id}@${reused.get(id)}` : String(id)));
  const digest = createHash('sha256').update(`${workspaceId}/${threadId ?? '-'}/${sorted.join(',')}`).digest('base64url');
  return `conv_${digest.slice(0, 32)}`;
}

/** The id of the conversation made of `turns` (one history, non-empty): `conversationId` of its first turn's workspace and thread, every turn's chat id, and the reused ones' identities. */
export function conversationIdOf(turns: readonly Turn[]): string {
  const first = turns[0];
  if (first === undefined) throw new TypeError('a conversation needs at least one turn');
  const reused = new Map(turns.flatMap((turn) => (turn.reused === undefined ? [] : [[turn.id, turn.reused] as const])));
  return conversationId(first.workspaceId, first.threadId, turns.map((turn) => turn.id), reused);
}
