import { createHash } from 'node:crypto';

/**
 * A retraction's id (DESIGN §3b): `ret_` + a hash of the conversation it names and each changed chat's id, change, told
 * digest (the edited text's digest) and the instant it was first seen, in chat order — the same change gives the same
 * id however often it is frozen or resent; a second edit, or the same text coming back later, a new one.
 */
export function retractionId(conversation: string, chats: readonly { readonly chatId: number; readonly change: string; readonly h: string; readonly seenAt: string }[]): string {
  const parts = [...chats].sort((a, b) => a.chatId - b.chatId).map((chat) => `${chat.chatId}:${chat.change}:${chat.h}:${chat.seenAt}`);
  const digest = createHash('sha256').update(`${conversation}/${parts.join(',')}`).digest('base64url');
  return `ret_${digest.slice(0, 32)}`;
}
