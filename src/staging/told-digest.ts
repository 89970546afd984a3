import type { Turn } from '../domain/turn.js';
import { chatDigest } from '../domain/chat-digest.js';

/** The digest a sent chat's mark holds once its hiding is told: hidden is hidden, whatever the hidden copy says. */
export const hiddenDigest = '~';

/**
 * What a chat's mark holds once the receiver knows the copy `turn` (DESIGN §3b): the digest of what it says when
 * shown, `hiddenDigest` when hidden (a hidden chat edited while hidden gives no second event).
 */
export function toldDigest(turn: Pick<Turn, 'prompt' | 'reply' | 'include'>): string {
  return turn.include ? chatDigest(turn) : hiddenDigest;
}

/**
 * True when the copy `turn` says what `digest` stands for: its told digest, or the digest the chat was frozen with
 * (a chat sent while hidden, with INCLUDE_HIDDEN, froze the digest of its hidden copy).
 */
export function saysTheSame(turn: Pick<Turn, 'prompt' | 'reply' | 'include'>, digest: string | undefined): boolean {
  return digest === toldDigest(turn) || digest === chatDigest(turn);
}
