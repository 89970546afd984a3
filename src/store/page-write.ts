import type { BadRecord } from '../domain/page-record.js';
import type { Turn } from '../domain/turn.js';
import { badRecordKey } from './bad-record-key.js';
import { chatKey, turnKey } from './keys.js';
import type { StateLevels } from './levels.js';
import type { ChangedChat, ChatMark, QuarantineRecord } from './records.js';

/** The mark of a staged chat: PageWrite.stage writes it, PageWrite.unstage reads where its copy is. */
export type StagedMark = Extract<ChatMark, { s: 'staged' }>;

type Batch = ReturnType<StateLevels['db']['batch']>;

/**
 * One page's decisions (staging/stage-page.ts), written by writePage in one atomic batch, in the order they were made:
 * every staged copy, mark, quarantined record and change to tell of the page, or none of them.
 */
export interface PageWrite {
  /** Stages `turn` under its turn key, with its `staged` mark (the key and `lastUpdatedAt`); returns the mark. */
  stage(turn: Turn): StagedMark;
  /** Drops the staged copy `mark` points at (its chat's mark is left to the caller). */
  unstage(mark: StagedMark): void;
  mark(id: number, mark: ChatMark): void;
  /** Keeps a bad record in the quarantine with its reason and the time `at` (ISO-8601) it was found. */
  quarantine(record: BadRecord, at: string): void;
  change(id: number, record: ChangedChat | undefined): void;
}

// The decisions as batch operations, kept until commit.
class BatchedPageWrite implements PageWrite {
  private readonly operations: ((batch: Batch) => void)[] = [];

  constructor(private readonly levels: StateLevels) {}

  stage(turn: Turn): StagedMark {
    const key = turnKey(turn);
    const mark: StagedMark = { s: 'staged', k: key, u: turn.updatedAt };
    this.operations.push((batch) => batch.put(key, turn, { sublevel: this.levels.turns }));
    this.mark(turn.id, mark);
    return mark;
  }

  unstage(mark: StagedMark): void {
    this.operations.push((batch) => batch.del(mark.k, { sublevel: this.levels.turns }));
  }

  mark(id: number, mark: ChatMark): void {
    this.operations.push((batch) => batch.put(chatKey(id), mark, { sublevel: this.levels.chats }));
  }

  quarantine(record: BadRecord, at: string): void {
    const kept: QuarantineRecord = { id: record.id, reason: record.reason, raw: record.raw, at };
    this.operations.push((batch) => batch.put(badRecordKey(record), kept, { sublevel: this.levels.quarantine }));
  }

  change(id: number, record: ChangedChat | undefined): void {
    const key = chatKey(id);
    this.operations.push((batch) => (record === undefined ? batch.del(key, { sublevel: this.levels.changed }) : batch.put(key, record, { sublevel: this.levels.changed })));
  }

  /** Writes every decision, in order, in one atomic batch. */
  async commit(): Promise<void> {
    if (this.operations.length === 0) return;
    const batch = this.levels.db.batch();
    for (const operation of this.operations) operation(batch);
    await batch.write();
  }
}

/**
 * Runs `decide` on a new PageWrite and, once it resolves, writes its decisions in one atomic batch (nothing when it
 * throws); resolves with what `decide` returned.
 */
export async function writePage<T>(state: StateLevels, decide: (write: PageWrite) => T | Promise<T>): Promise<T> {
  const write = new BatchedPageWrite(state);
  const result = await decide(write);
  await write.commit();
  return result;
}
