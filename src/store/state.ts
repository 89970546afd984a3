import { Level } from 'level';
import { McError } from '../errors.js';
import { claimStateDir, type ClaimedStateDir } from '../statedir/state-dir.js';
import type { IdGap, PageRecord } from '../domain/page-record.js';
import type { Turn } from '../domain/turn.js';
import { readKnownChats, type KnownChats } from './known-chats.js';
import { writePage, type PageWrite } from './page-write.js';
import { keepForReplay, replayCopies } from './replay-stage.js';
import type { RetractionTotals, Totals } from '../domain/state-totals.js';
import { changesToFreeze, freezeRetraction, markRetracted, markRetractionFailed, retractionEntries } from './retraction-outbox.js';
import { sentRecord } from './sent-record.js';
import { countRetractions, countTotals } from './totals.js';
import { quarantinedRecords } from './quarantined.js';
import type { Conversation } from '../domain/conversation.js';
import { freeze, frozenConversation, latestSentBefore, markFailed, markSent, outboxEntries, type FrozenEntry } from './outbox.js';
import { clearPlan, plannedConversations, plannedTurns, writePlan, type PlanEntry, type PlannedConversation } from './plan.js';
import { freezeReplayed, reopenReplayed, replacedBy, type Replaced, type Superseded } from './replay-freeze.js';
import { clearReplay, replayTurns } from './replay-turns.js';
import { stagedTurns } from './staged-turns.js';
import { stateError } from '../statedir/state-error.js';
import { readStatusFile } from '../statedir/status-file.js';
import { migrate } from './migrate.js';
import type { FoundChange, HistorySent, NightRecords, OutboxEntry, OutboxStatus, QuarantineRecord, RetractionEntry, RetractionStatus, SentRecord } from './records.js';
import { attachLevels, levelsOf, openSublevels, type StateLevels } from './levels.js';
import type { RawLevel } from './raw-level.js';
import { Root } from './sealed-db.js';
import { rekey, setUpSealing } from './seal-state.js';

// What the methods take and give beyond the record types (records.ts): their types live beside their store code.
export type { KnownChats } from './known-chats.js';
export type { PageWrite, StagedMark } from './page-write.js';
export type { FrozenEntry } from './outbox.js';
export type { PlanEntry, PlannedConversation } from './plan.js';
export type { Superseded } from './replay-freeze.js';

/**
 * The state layout this code writes; a state with a higher number is refused, never rewritten, and an older one is
 * migrated on open (migrate.ts). 2: outbox entries keep their turns' keys instead of their messages. 3: staged
 * turns are keyed by chat history (a default thread per user and per API session), sent conversations are indexed
 * per history by end time (`histories`, for `continues`), and the night plans its deliveries (`plan`). 4: the marks
 * of frozen chats keep their identity (`i`, DESIGN §1 "A chat's identity"), staged turns under reused ids say so
 * (`reused`), and `meta` records the source (`source`) and what was open at the last night's end (`openFrom`).
 */
export const schemaVersion = 4;

/**
 * Memory stays flat as history grows (DESIGN §4): LevelDB maps every table file it keeps open, and a mapped page
 * read once stays in the process's RSS. The fewest open files LevelDB allows (64 tables, plus 10), small tables and
 * a small write buffer bound that to a few tens of MB whatever the state's size; the turns are read in key order,
 * so little is reopened. Compression stays on although it costs the full night about 2 s of its 16: classic-level
 * cannot ask LevelDB to verify block checksums on reads, and a damaged compressed block fails to decompress, where
 * an uncompressed one is read back as wrong text (the state-damage test's flipped table bytes went unseen).
 * With a state key it is off (docs/security.md): sealed values do not compress and their GCM tags prove
 * them intact; the night measured 1.17× the unkeyed one without compression, 1.52× with it.
 */
const levelOptions = { maxOpenFiles: 74, maxFileSize: 512 * 1024, writeBufferSize: 2 * 1024 * 1024 } as const;

/** How to open STATE_DIR. */
export interface OpenOptions {
  /** `--fix-permissions`: make a STATE_DIR other users can reach owner-only instead of refusing it. @default false */
  readonly fixPermissions?: boolean;
  /** The state key: values holding chat text are sealed with it (docs/security.md). */
  readonly stateKey?: string | undefined;
}

/** STATE_DIR's LevelDB, opened and locked by this process, with one sublevel per kind of record (DESIGN §4). */
export class State {
  private writing: Promise<unknown> = Promise.resolve();

  /**
   * Runs `work` alone among the other exclusive sections: staging a page (read the marks, then write) and freezing
   * conversations (up to CONCURRENCY in flight at once) never interleave their reads and writes.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.writing.then(work);
    this.writing = result.catch(() => undefined);
    return result;
  }

  // Its sublevels are reached through levelsOf(state) by store/ code alone (levels.ts).
  private constructor(db: Root, readonly stateDir: string, private readonly claimed: ClaimedStateDir<RawLevel>) {
    attachLevels(this, { ...openSublevels(db), db, stateDir });
  }

  // This state's sublevels.
  private get levels(): StateLevels {
    return levelsOf(this);
  }

  /**
   * Opens STATE_DIR's state: claims the folder (statedir/state-dir.ts: permissions, damage marks, the lock and its
   * holder) with LevelDB opened in it, checks the schema, sets up sealing (seal-state.ts) and migrates an older state
   * (migrate.ts) — in that order, so a sealed state's records are read with its key. Refuses a locked, damaged,
   * newer, exposed or wrongly keyed state with a clear McError.
   */
  static async open(stateDir: string, command: string, options: OpenOptions = {}): Promise<State> {
    const levelDb = (dbDir: string): RawLevel => new Level<string, string>(dbDir, { ...levelOptions, compression: options.stateKey === undefined });
    const claimed = await claimStateDir(stateDir, { command, fixPermissions: options.fixPermissions ?? false }, levelDb);
    const state = new State(new Root(claimed.db, stateDir), stateDir, claimed);
    try {
      const schema = await state.checkSchema();
      await setUpSealing(state.levels, options.stateKey);
      if (schema < schemaVersion) await migrate(state.levels, schema, schemaVersion);
    } catch (error) {
      await claimed.release();
      throw stateError(error, stateDir, 'checking the schema');
    }
    return state;
  }

  /** Seals every value holding chat text with `newStateKey` (`rekey`, docs/security.md); only that key opens the state after. */
  async rekey(newStateKey: string): Promise<void> {
    await rekey(this.levels, newStateKey);
  }

  // ── the night's own records: cursor, floor, paging, first backfill, source, open from ──

  /** One of the night's own records (NightRecords in records.ts says what each holds), or undefined when none is stored. */
  async meta<K extends keyof NightRecords & string>(name: K): Promise<NightRecords[K] | undefined> {
    return (await this.levels.meta.get(name)) as NightRecords[K] | undefined;
  }

  /** Stores one of the night's own records, or forgets it (`undefined`); storing the floor drops a first backfill's date, its job done. */
  async setMeta<K extends keyof NightRecords & string>(name: K, value: NightRecords[K] | undefined): Promise<void> {
    if (value === undefined) return this.levels.meta.del(name);
    await this.levels.meta.batch([{ type: 'put', key: name, value }, ...(name === 'floor' ? [{ type: 'del' as const, key: 'firstBackfill' }] : [])]);
  }

  // ── staging: what a page means, written in one batch ──

  /** What the state knows of a validated page's chats, and of the chats marked inside its gaps `absentBetween` (known-chats.ts). */
  knownChats(records: readonly PageRecord[], absentBetween: readonly IdGap[]): Promise<KnownChats> {
    return readKnownChats(this.levels, records, absentBetween);
  }

  /** Runs `decide` on a PageWrite, then writes the page's decisions in one atomic batch; resolves with what `decide` returned (page-write.ts). */
  writePage<T>(decide: (write: PageWrite) => T | Promise<T>): Promise<T> {
    return writePage(this.levels, decide);
  }

  /** The copies a `--redeliver` replay keeps of `turns`, in order; undefined where none is kept (replay-stage.ts). */
  replayCopies(turns: readonly Turn[]): Promise<(Turn | undefined)[]> {
    return replayCopies(this.levels, turns);
  }

  /** Keeps `turns` for a `--redeliver` replay, replacing the copies kept of them, in one batch (replay-stage.ts). */
  keepForReplay(turns: readonly Turn[]): Promise<void> {
    return keepForReplay(this.levels, turns);
  }

  // ── delivery: plan, outbox, sent ──

  /** The staged turns in key order (chat history, createdAt, id), but for frozen conversations' turns (staged-turns.ts). */
  stagedTurns(): AsyncGenerator<Turn> {
    return stagedTurns(this.levels);
  }

  /** Replaces the night's delivery plan with `entries` (new conversations with their turns, outbox ones without); returns how many. */
  writePlan(entries: AsyncIterable<PlanEntry>): Promise<number> {
    return writePlan(this.levels, entries);
  }

  /** The delivery plan, oldest first (start time, then id: DESIGN §3 "Order"), streamed. */
  plannedConversations(): AsyncGenerator<PlannedConversation> {
    return plannedConversations(this.levels);
  }

  /** The staged turns of a new planned conversation, in order; MC_STATE_DAMAGED when some are missing. */
  plannedTurns(planned: PlannedConversation): Promise<readonly Turn[]> {
    return plannedTurns(this.levels, planned);
  }

  /** Empties the delivery plan. */
  clearPlan(): Promise<void> {
    return clearPlan(this.levels);
  }

  /** Freezes `conversation`, built from its staged `turns`, in the outbox before its first POST (DESIGN §4); returns its entry. */
  freeze(conversation: Conversation, turns: readonly Turn[], now: Date): Promise<OutboxEntry> {
    return freeze(this.levels, conversation, turns, now);
  }

  /** Conversation `id`'s outbox entry and the turns its body is rebuilt from; undefined when none waits (outbox.ts). */
  frozenConversation(id: string): Promise<FrozenEntry | undefined> {
    return frozenConversation(this.levels, id);
  }

  /** The latest conversation sent of chat history `history` that ended at or before `startedAtMs` (DESIGN §2 `continues`). */
  latestSentBefore(history: string, startedAtMs: number): Promise<HistorySent | undefined> {
    return latestSentBefore(this.levels, history, startedAtMs);
  }

  /** Records the webhook's 2xx for `conversation`, the body of outbox entry `entry`: sent, out of the outbox with its turns. */
  markSent(entry: OutboxEntry, conversation: Conversation, now: Date): Promise<void> {
    return markSent(this.levels, entry, conversation, now);
  }

  /** Keeps a failed conversation in the outbox, dead or parked, with its error and `posts` more POSTs counted. */
  markFailed(entry: OutboxEntry, status: Exclude<OutboxStatus, 'pending'>, error: string, posts: number, now: Date): Promise<OutboxEntry> {
    return markFailed(this.levels, entry, status, error, posts, now);
  }

  /** The outbox entries in `statuses`, in id order, streamed. */
  outboxEntries(statuses: readonly OutboxStatus[]): AsyncGenerator<OutboxEntry> {
    return outboxEntries(this.levels, statuses);
  }

  // ── replay (--redeliver) ──

  /** The chats a `--redeliver` replay regroups, in key order (chat history, createdAt, id), streamed. */
  replayTurns(): AsyncGenerator<Turn> {
    return replayTurns(this.levels);
  }

  /** Empties the replay's chats. */
  clearReplay(): Promise<void> {
    return clearReplay(this.levels);
  }

  /** What the replayed conversation `id` of `turns` replaces, and which of that stays in the outbox (before `sinceMs`). */
  replacedBy(turns: readonly Turn[], id: string, sinceMs: number): Promise<Replaced> {
    return replacedBy(this.levels, turns, id, sinceMs);
  }

  /** Freezes a closed replayed conversation with the replay's key suffix and forgets what it supersedes (replay-freeze.ts). */
  freezeReplayed(conversation: Conversation, turns: readonly Turn[], superseded: Superseded, options: { readonly replay: string; readonly sinceMs: number; readonly now: Date }): Promise<void> {
    return freezeReplayed(this.levels, conversation, turns, superseded, options);
  }

  /** Stages again the chats of a replayed conversation still open, and forgets what it supersedes. */
  reopenReplayed(turns: readonly Turn[], superseded: Superseded, options: { readonly sinceMs: number }): Promise<void> {
    return reopenReplayed(this.levels, turns, superseded, options);
  }

  // ── retractions ──

  /** The changes found to sent chats and not yet frozen: conversation id → chat id → change (retraction-outbox.ts). */
  changesToFreeze(): Promise<Map<string, Map<number, FoundChange>>> {
    return changesToFreeze(this.levels);
  }

  /** Freezes a retraction before its first POST: into the retraction outbox, its chats' changes frozen in it (DESIGN §3b). */
  freezeRetraction(entry: RetractionEntry): Promise<void> {
    return freezeRetraction(this.levels, entry);
  }

  /** Records a retraction the webhook accepted at `now`: its chats' marks take what was told (retraction-outbox.ts). */
  markRetracted(entry: RetractionEntry, now: Date): Promise<void> {
    return markRetracted(this.levels, entry, now);
  }

  /** Keeps a retraction that failed at `now` in the retraction outbox as dead or parked, with its error. */
  markRetractionFailed(entry: RetractionEntry, status: Exclude<RetractionStatus, 'pending'>, error: string, now: Date): Promise<void> {
    return markRetractionFailed(this.levels, entry, status, error, now);
  }

  /** The retraction outbox's entries in `statuses`, oldest seen first (then id). */
  retractionEntries(statuses: readonly RetractionStatus[]): Promise<RetractionEntry[]> {
    return retractionEntries(this.levels, statuses);
  }

  /** The record of sent conversation `id`, or undefined while it is not sent (a retraction waits for it). */
  sentRecord(id: string): Promise<SentRecord | undefined> {
    return sentRecord(this.levels, id);
  }

  // ── counts: totals, quarantine ──

  /** What the state holds, counted, retractions included (totals.ts; for `status`, status.json, metrics). */
  totals(): Promise<Totals> {
    return countTotals(this.levels);
  }

  /** The retractions counted: sent, waiting, dead, parked (totals.ts; for `reconcile`). */
  retractionTotals(): Promise<RetractionTotals> {
    return countRetractions(this.levels);
  }

  /** Every record in the quarantine, by chat id (records without one last). */
  quarantined(): Promise<QuarantineRecord[]> {
    return quarantinedRecords(this.levels);
  }

  /**
   * Compacts the ranges the night deletes from (turns handed to delivery, outbox entries sent, the replay): a deleted
   * key stays on disk as a marker every scan steps over, and its value as text, until a compaction drops both
   * (purgeDeleted says why a plain compactRange does not).
   */
  async compactDeleted(): Promise<void> {
    await this.levels.db.purgeDeleted([this.levels.turns.prefix, this.levels.outbox.prefix, this.levels.replay.prefix, this.levels.plan.prefix, this.levels.changed.prefix, this.levels.retractions.prefix]);
  }

  /** Closes the state and gives STATE_DIR back (its lock, its holder record). */
  async close(): Promise<void> {
    await this.claimed.release();
  }

  /**
   * The schema the state was written with: a newer one is refused (MC_STATE_NEWER), a database holding data without
   * a schema marker is damage, an empty one is marked with this code's schema.
   */
  private async checkSchema(): Promise<number> {
    const found = await this.levels.meta.get('schema');
    if (typeof found === 'number') {
      if (found > schemaVersion) {
        throw new McError('MC_STATE_NEWER', `state in ${this.stateDir} was written by a newer memory-cron (schema ${found}, this one knows ${schemaVersion}); upgrade memory-cron — nothing was rewritten`);
      }
      return found;
    }
    const [anyKey] = await this.levels.db.keys({ limit: 1 }).all();
    const earlierRun = await readStatusFile<{ lastRun?: unknown }>(this.stateDir).catch(() => undefined);
    if (anyKey !== undefined || earlierRun?.lastRun !== undefined) {
      throw new McError('MC_STATE_DAMAGED', `state in ${this.stateDir} has no schema marker but ${anyKey === undefined ? 'status.json shows earlier runs' : 'holds data'}; restore it from a backup — nothing was rewritten`);
    }
    await this.levels.meta.put('schema', schemaVersion);
    return schemaVersion;
  }
}
