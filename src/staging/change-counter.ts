import { chatDigest, goneDigest } from '../domain/chat-digest.js';
import type { Turn } from '../domain/turn.js';
import type { ChangeLog, ConvMark } from './after-send.js';
import type { PageLedger } from './page-ledger.js';

/**
 * The ChangeLog without RETRACT_WEBHOOK_URL: a change to a sent chat is only counted, once — its mark takes the digest
 * of what the chat says now (goneDigest once deleted), and nothing is pending.
 */
export class ChangeCounter implements ChangeLog {
  constructor(private readonly ledger: PageLedger) {}

  told(_id: number, mark: ConvMark): string | undefined {
    return mark.h;
  }

  pending(): undefined {
    return undefined;
  }

  drop(): void {}

  changed(turn: Turn, mark: ConvMark): void {
    this.ledger.setMark(turn.id, { s: 'conv', c: mark.c, h: chatDigest(turn), ...(mark.i === undefined ? {} : { i: mark.i }) });
  }

  deleted(id: number, mark: ConvMark): void {
    this.ledger.setMark(id, { ...mark, h: goneDigest });
  }
}
