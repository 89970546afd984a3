import { goneSeen, type ChangeLog } from './after-send.js';
import type { PageLedger } from './page-ledger.js';
import type { ChatMark } from '../store/records.js';

/**
 * The chats a page proves absent (KnownChats `absent`: marked strictly between two rows it served side by side,
 * DESIGN §1 "gone"): a staged one is unstaged and marked gone, never sent; a sent one's deletion is recorded in `log`
 * and counted once. Other marks (hidden, bad, gone, or in the outbox: sent as frozen) are left alone.
 */
export function absentChatsSeen(ledger: PageLedger, absent: ReadonlyMap<number, ChatMark>, log: ChangeLog): void {
  for (const [id, mark] of absent) {
    if (mark.s === 'staged') {
      ledger.unstage(id, mark);
      ledger.setMark(id, { s: 'gone' });
      ledger.counts.gone++;
    } else if (mark.s === 'conv' && ledger.isSent(mark.c) && goneSeen(log, id, mark)) {
      ledger.countAfterSend('deletedAfterSend', id);
    }
  }
}
