import { chatDigest } from '../domain/chat-digest.js';
import type { Turn } from '../domain/turn.js';
import { changeSeen, type ChangeLog, type ConvMark } from './after-send.js';
import type { PageLedger } from './page-ledger.js';
import type { ReusedIds } from './reused-ids.js';

/**
 * A copy of a chat frozen in a conversation (DESIGN §1): never restaged. A copy of another chat under its id
 * (reused-ids.ts) is new and staged apart; a mark written before schema 4 learns the copy's identity, one written
 * before digests were kept learns what the chat says. A chat of a conversation still in the outbox is sent as
 * frozen; a sent one is compared with what the receiver knows (after-send.ts), its change recorded in `log`.
 */
export function sentCopySeen(ledger: PageLedger, turn: Turn, mark: ConvMark, ids: ReusedIds, log: ChangeLog): void {
  const reused = ids.reused.get(turn.id);
  if (reused !== undefined) return ledger.stageReused(turn, reused);
  ledger.counts.ignored++;
  const i = mark.i ?? ids.learned.get(turn.id);
  if (mark.h === undefined) return ledger.setMark(turn.id, { s: 'conv', c: mark.c, h: chatDigest(turn), ...(i === undefined ? {} : { i }) });
  const known = i === mark.i ? mark : { ...mark, i };
  if (known !== mark) ledger.setMark(turn.id, known);
  if (ledger.isSent(mark.c)) ledger.countAfterSend(changeSeen(log, turn, known), turn.id);
}
