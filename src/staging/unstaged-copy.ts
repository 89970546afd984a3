import { chatIdentity } from '../domain/chat-identity.js';
import type { Turn } from '../domain/turn.js';
import type { ChatMark } from '../store/records.js';
import type { PageLedger } from './page-ledger.js';

/** The marks of a chat with no staged or frozen copy: never seen, quarantined, hidden or gone. */
type UnstagedMark = Extract<ChatMark, { s: 'bad' | 'hidden' | 'gone' }> | undefined;

/**
 * A copy of a chat with no staged or frozen copy (DESIGN §1): a hidden one is skipped (once: a chat already skipped
 * is ignored), any other is staged — a hidden chat now shown (a completed agent chat) included, keeping the
 * identity of a chat under a reused id (its mark's `r`) so its conversation's id names it apart.
 */
export function unstagedCopySeen(ledger: PageLedger, turn: Turn, mark: UnstagedMark): void {
  if (ledger.skips(turn)) {
    if (mark?.s === 'hidden') return void ledger.counts.ignored++;
    ledger.setMark(turn.id, { s: 'hidden' });
    return void ledger.counts.skipped++;
  }
  ledger.stage(turn, mark?.s === 'hidden' && mark.r !== undefined ? chatIdentity(turn) : undefined);
  if (mark === undefined) ledger.missed(turn.id);
  ledger.counts.staged++;
}
