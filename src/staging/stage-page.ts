import type { StageCounts, StageFindings } from '../domain/night-counts.js';
import type { IdGap, PageRecord } from '../domain/page-record.js';
import type { KnownChats, PageWrite, State } from '../store/state.js';
import { absentChatsSeen } from './absent-chats.js';
import type { ChangeLog } from './after-send.js';
import { ChangeCounter } from './change-counter.js';
import { ChangeFinder } from './change-finder.js';
import { PageLedger } from './page-ledger.js';
import { findReusedIds } from './reused-ids.js';
import { sentCopySeen } from './sent-copy.js';
import { stagedCopySeen } from './staged-copy.js';
import { unstagedCopySeen } from './unstaged-copy.js';

/** How to stage. */
export interface StageOptions {
  readonly includeHidden: boolean;
  /** The real clock (ms): when this page's bad records were quarantined. */
  readonly realNowMs: number;
  /** Ids the page proves absent (idGaps of the whole page, API only): staged chats among them are unstaged. @default none */
  readonly absentBetween?: readonly IdGap[];
  /** Collects the chat ids behind `staged` (never seen before) and the after-send counts. */
  readonly findings?: StageFindings;
  /** RETRACT_WEBHOOK_URL is set: changes to sent chats are kept to be told (change-finder.ts), not only counted. @default false */
  readonly retractions?: boolean;
}

/**
 * Stages a page's records (validated by the source: normalisePage) against what the state knows of its chats, in one
 * atomic write (DESIGN §1): what a re-read shows wins for every chat not yet sent (unstaged-copy.ts, staged-copy.ts),
 * a chat frozen for delivery or sent is never restaged and a change to a sent one is counted once, or kept to be
 * told with `retractions` (sent-copy.ts, DESIGN §3b), a copy under a reused id is another chat (reused-ids.ts), the
 * chats the page proves absent are gone (absent-chats.ts), and a bad record is quarantined once. Runs alone among the
 * state's exclusive sections. Resolves with what it did, record by record.
 */
export function stagePage(state: State, records: readonly PageRecord[], options: StageOptions): Promise<StageCounts> {
  return state.exclusive(async () => {
    const known = await state.knownChats(records, options.absentBetween ?? []);
    return state.writePage((write) => stageKnown(known, write, records, options));
  });
}

function stageKnown(known: KnownChats, write: PageWrite, records: readonly PageRecord[], options: StageOptions): StageCounts {
  const ledger = new PageLedger(known, write, options);
  const at = new Date(options.realNowMs).toISOString();
  const log: ChangeLog = options.retractions === true ? new ChangeFinder(known, write, at) : new ChangeCounter(ledger);
  const turns = records.flatMap((record) => (record.kind === 'turn' ? [record.turn] : []));
  const ids = findReusedIds(turns, known.marks, known.sent);
  for (const record of records) {
    if (record.kind === 'bad') {
      if (known.quarantined.has(record)) {
        ledger.counts.ignored++;
        continue;
      }
      write.quarantine(record, at);
      if (record.id !== null && ledger.markOf(record.id) === undefined) ledger.setMark(record.id, { s: 'bad' });
      ledger.counts.quarantined++;
      continue;
    }
    const mark = ledger.markOf(record.turn.id);
    if (mark?.s === 'conv') sentCopySeen(ledger, record.turn, mark, ids, log);
    else if (mark?.s === 'staged') stagedCopySeen(ledger, record.turn, mark);
    else unstagedCopySeen(ledger, record.turn, mark);
  }
  absentChatsSeen(ledger, known.absent, log);
  return { ...ledger.counts, read: records.length };
}
