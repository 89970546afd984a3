import type { Turn } from '../domain/turn.js';
import type { ChangedChat, ChatMark, HistorySent, NightRecords, OutboxEntry, PlanItem, QuarantineRecord, RetractedRecord, RetractionEntry, SentRecord } from './records.js';
import type { Root } from './sealed-db.js';
import type { Sub } from './sealed-sublevel.js';
import type { SealingRecord } from './sealing.js';

/** STATE_DIR's LevelDB as the store reaches it, values sealed (sealed-db.ts). */
export type { Root } from './sealed-db.js';
/** A sublevel holding records of one type (sealed-sublevel.ts). */
export type { Sub } from './sealed-sublevel.js';

/** Fixed keys of the `meta` sublevel. */
export interface Meta extends NightRecords {
  schema: number;
  /**
   * Written by earlier versions (the last run's summary numbers, no chat text), no longer written or read: status.json
   * holds the last run. An old state keeps the key; no migration drops it (a schema bump for one dead key would make
   * every earlier version refuse the state).
   */
  lastRun: unknown;
  /** Present once the state is sealed with a state key: the salt and key check, never the key. */
  sealing: SealingRecord;
}

/** One sublevel per kind of record (DESIGN §4). */
export interface Sublevels {
  readonly meta: Sub<Meta[keyof Meta]>;
  readonly turns: Sub<Turn>;
  readonly chats: Sub<ChatMark>;
  readonly outbox: Sub<OutboxEntry>;
  readonly sent: Sub<SentRecord>;
  /** Each history's sent conversations by end time (keys.ts historySentKey), for `continues` (DESIGN §2). */
  readonly histories: Sub<HistorySent>;
  /** The night's closed conversations in delivery order (keys.ts planKey); emptied before and after delivery. */
  readonly plan: Sub<PlanItem>;
  readonly quarantine: Sub<QuarantineRecord>;
  /** The chats a `--redeliver` run regroups, in turn-key order; emptied when the replay is done. */
  readonly replay: Sub<Turn>;
  /** Sent chats with a change still to be told to RETRACT_WEBHOOK_URL (DESIGN §3b), by padded chat id. */
  readonly changed: Sub<ChangedChat>;
  /** The retraction outbox: retractions frozen before their first POST, by id. */
  readonly retractions: Sub<RetractionEntry>;
  /** Retractions the webhook accepted, by id. */
  readonly retracted: Sub<RetractedRecord>;
}

/** The sublevels of the state database `db`. */
export function openSublevels(db: Root): Sublevels {
  return {
    meta: db.sublevel('meta'),
    turns: db.sublevel('turns'),
    chats: db.sublevel('chats'),
    outbox: db.sublevel('outbox'),
    sent: db.sublevel('sent'),
    histories: db.sublevel('histories'),
    plan: db.sublevel('plan'),
    quarantine: db.sublevel('quarantine'),
    replay: db.sublevel('replay'),
    changed: db.sublevel('changed'),
    retractions: db.sublevel('retractions'),
    retracted: db.sublevel('retracted'),
  };
}

/** The state database and its sublevels: what State opens, and what migrations and sealing work on. */
export interface StateLevels extends Sublevels {
  readonly db: Root;
  readonly stateDir: string;
}

// The sublevels of each open State, reachable only by modules that import this file (store/ and its tests).
const levelsByState = new WeakMap<object, StateLevels>();

/** Gives an open State its sublevels (its constructor calls this); nothing outside store/ can reach them. */
export function attachLevels(state: object, levels: StateLevels): void {
  levelsByState.set(state, levels);
}

/**
 * The sublevels of an open State, for store/ code (and its tests) only: no sublevel leaves store/ (DESIGN
 * "Architecture"); every other folder calls State's typed methods. TypeError for an object that is no open State.
 */
export function levelsOf(state: object): StateLevels {
  const levels = levelsByState.get(state);
  if (levels === undefined) throw new TypeError('not an open State');
  return levels;
}
