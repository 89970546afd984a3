import { createHash } from 'node:crypto';

/** The conversation id: a hash of workspace, thread and chat ids, so the same chats always get the same id. */
export function conversationId(workspaceId: number, threadId: number | null, chatIds: readonly number[]): string {
  const sorted = [...chatIds].sort((a, b) => a - b);
  const digest = createHash('sha256').update(`${workspaceId}/${threadId ?? '-'}/${sorted.join(',')}`).digest('base64url');
  return `conv_${digest.slice(0, 32)}`;
}
