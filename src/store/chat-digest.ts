import { createHash } from 'node:crypto';
import { chatIdentity } from '../domain/chat-identity.js';
import type { Turn } from '../domain/turn.js';
import type { ChatMark } from './records.js';

/** The `h` a conversation mark holds once its chat is known to be deleted from the source (no digest equals it). */
export const goneDigest = '-';

/**
 * A short digest of what a chat says (prompt, reply, include), kept in its `conv` mark when its conversation is
 * frozen, so a later re-read can tell that a chat changed after it was sent without keeping its text (DESIGN §1
 * "Rows change after they are written", §4). 64 bits of SHA-256: enough to notice a change, too short to be a
 * useful index of texts; still, a short text can be confirmed by guessing it (docs/security.md).
 */
export function chatDigest(turn: Pick<Turn, 'prompt' | 'reply' | 'include'>): string {
  return createHash('sha256').update(JSON.stringify([turn.prompt, turn.reply, turn.include])).digest('hex').slice(0, 16);
}

/** The mark of a chat frozen in conversation `conversationId`: the digest of what it says and of its identity (DESIGN §1, §4). */
export function frozenMark(conversationId: string, turn: Turn): ChatMark {
  return { s: 'conv', c: conversationId, h: chatDigest(turn), i: chatIdentity(turn) };
}
