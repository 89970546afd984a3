import { createHash } from 'node:crypto';
import type { Turn } from './turn.js';

/** The `h` a conversation mark holds once its chat is known to be deleted from the source (no digest equals it). */
export const goneDigest = '-';

/**
 * A short digest of what a chat says (prompt, reply, include), kept in its `conv` mark when its conversation is
 * frozen, so a later re-read can tell that a chat changed after it was sent without keeping its text (DESIGN §1
 * "Rows change after they are written", §4). 64 bits of SHA-256, as 16 hex digits: enough to notice a change, too
 * short to be a useful index of texts; still, a short text can be confirmed by guessing it (docs/security.md).
 */
export function chatDigest(turn: Pick<Turn, 'prompt' | 'reply' | 'include'>): string {
  return createHash('sha256').update(JSON.stringify([turn.prompt, turn.reply, turn.include])).digest('hex').slice(0, 16);
}
