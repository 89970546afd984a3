import type { BadRecord, IdGap, PageRecord } from '../domain/page-record.js';
import type { Turn } from '../domain/turn.js';
import { badRecordKey } from './bad-record-key.js';
import { chatIdOfKey, chatKey } from './keys.js';
import type { StateLevels } from './levels.js';
import type { ChangedChat, ChatMark, SentRecord } from './records.js';

/** What the state knows of one page's chats, read in one go before the page is staged (staging/stage-page.ts). */
export interface KnownChats {
  /** Chat id → its mark, for every chat id on the page (undefined: never seen). */
  readonly marks: ReadonlyMap<number, ChatMark | undefined>;
  /** Chat id → its mark, for every marked chat the page proves absent (strictly inside one of its gaps), in id order. */
  readonly absent: ReadonlyMap<number, ChatMark>;
  /** Chat id → its staged copy, for the page's chats marked `staged`. */
  readonly staged: ReadonlyMap<number, Turn>;
  /** Conversation id → its sent record, for the conversations the `conv` marks above name that the webhook accepted. */
  readonly sent: ReadonlyMap<string, SentRecord>;
  /** Chat id → what waits to be told about it (DESIGN §3b; undefined: nothing), for the chats of the `conv` marks above. */
  readonly changes: ReadonlyMap<number, ChangedChat | undefined>;
  /** The page's bad records already in the quarantine, or repeating one before them on the page (same id, same record). */
  readonly quarantined: ReadonlySet<BadRecord>;
}

/**
 * Reads what the state knows of the chats of `records` (a validated page) and of those marked strictly between the
 * ids of each of `absentBetween` (DESIGN §1 "gone"): their marks, staged copies, sent conversations, changes to tell,
 * and which bad records are quarantined already. Reads only; a few `getMany` and one range scan per gap.
 */
export async function readKnownChats(levels: StateLevels, records: readonly PageRecord[], absentBetween: readonly IdGap[]): Promise<KnownChats> {
  const ids = [...new Set(records.map((record) => (record.kind === 'turn' ? record.turn.id : record.id)).filter((id) => id !== null))];
  const marks = new Map(zip(ids, await levels.chats.getMany(ids.map(chatKey))));
  const absent = new Map<number, ChatMark>();
  for (const gap of absentBetween) {
    for await (const [key, mark] of levels.chats.iterator({ gt: chatKey(gap.below), lt: chatKey(gap.above) })) absent.set(chatIdOfKey(key), mark);
  }
  const stagedMarks = [...marks].flatMap(([id, mark]) => (mark?.s === 'staged' ? [{ id, key: mark.k }] : []));
  const stagedTurns = await levels.turns.getMany(stagedMarks.map((staged) => staged.key));
  const staged = new Map(stagedMarks.flatMap(({ id }, i) => (stagedTurns[i] === undefined ? [] : [[id, stagedTurns[i]] as const])));
  const frozen = [...marks, ...absent].flatMap(([id, mark]) => (mark?.s === 'conv' ? [{ id, conversation: mark.c }] : []));
  const conversations = [...new Set(frozen.map((chat) => chat.conversation))];
  const sentRecords = await levels.sent.getMany(conversations);
  const sent = new Map(conversations.flatMap((id, i) => (sentRecords[i] === undefined ? [] : [[id, sentRecords[i]] as const])));
  const changes = new Map(zip(frozen.map((chat) => chat.id), await levels.changed.getMany(frozen.map((chat) => chatKey(chat.id)))));
  return { marks, absent, staged, sent, changes, quarantined: await quarantinedAlready(levels, records) };
}

// The page's bad records kept in the quarantine already, and those repeating an earlier bad record of the page.
async function quarantinedAlready(state: StateLevels, records: readonly PageRecord[]): Promise<Set<BadRecord>> {
  const bad = records.filter((record) => record.kind === 'bad');
  const keys = bad.map(badRecordKey);
  const kept = await state.quarantine.getMany(keys);
  const seen = new Set(keys.filter((_, i) => kept[i] !== undefined));
  return new Set(
    bad.filter((record, i) => {
      const key = keys[i] as string;
      if (seen.has(key)) return true;
      seen.add(key);
      return false;
    }),
  );
}

function zip<A, B>(as: readonly A[], bs: readonly B[]): [A, B][] {
  return as.map((a, i) => [a, bs[i] as B]);
}
