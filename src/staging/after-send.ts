import { goneDigest } from '../domain/chat-digest.js';
import type { Turn } from '../domain/turn.js';
import type { ChatMark } from '../store/records.js';
import type { AfterSendCount } from './page-ledger.js';
import { saysTheSame } from './told-digest.js';

/** The mark of a chat frozen in a conversation (sent, or in the outbox). */
export type ConvMark = Extract<ChatMark, { s: 'conv' }>;

/**
 * Where the changes to a sent chat go: counted on its mark (change-counter.ts), or, with RETRACT_WEBHOOK_URL, kept to
 * be told as retractions (change-finder.ts, DESIGN §3b). Both answer what the receiver knows the chat to say, as a
 * digest (domain/chat-digest.ts, told-digest.ts), so one rule (changeSeen, goneSeen) compares for both.
 */
export interface ChangeLog {
  /** The digest of what the receiver was last told sent chat `id` says: sent, or told by a retraction (frozen or sent). */
  told(id: number, mark: ConvMark): string | undefined;
  /** The digest of a change to sent chat `id` found and not yet frozen into a retraction, if any. */
  pending(id: number, mark: ConvMark): string | undefined;
  /** Drops the pending change: the chat says again what the receiver was told. */
  drop(id: number, mark: ConvMark): void;
  /** Records that sent chat `turn.id` now says what `turn` says (an edit, or hidden). */
  changed(turn: Turn, mark: ConvMark): void;
  /** Records that sent chat `id` is deleted from the source. */
  deleted(id: number, mark: ConvMark): void;
}

/**
 * Compares a copy of a sent chat (a `conv` mark of a sent conversation, with a digest) with what the receiver knows
 * it to say (DESIGN §1 "Chats already sent are never resent; changes to them are counted", §3b): the change pending,
 * else what was told. A new change is recorded and its count returned; a copy back to what was told drops the
 * pending change (an edit back gives no event).
 */
export function changeSeen(log: ChangeLog, turn: Turn, mark: ConvMark): AfterSendCount | undefined {
  const told = log.told(turn.id, mark);
  const pending = log.pending(turn.id, mark);
  if (saysTheSame(turn, pending ?? told)) return undefined;
  if (pending !== undefined && saysTheSame(turn, told)) {
    log.drop(turn.id, mark);
    return undefined;
  }
  log.changed(turn, mark);
  return turn.include ? 'changedAfterSend' : 'hiddenAfterSend';
}

/** A sent chat a page proves deleted (DESIGN §1 "gone"): recorded and true unless its deletion is known already. */
export function goneSeen(log: ChangeLog, id: number, mark: ConvMark): boolean {
  if ((log.pending(id, mark) ?? log.told(id, mark)) === goneDigest) return false;
  log.deleted(id, mark);
  return true;
}
