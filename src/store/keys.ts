import { historyKey } from '../domain/chat-history.js';
import type { ChatHistory } from '../domain/chat-history.js';
import { padId } from '../domain/fixed-width.js';

// The key codec of the store: every LevelDB key is written here and read back here (DESIGN §4). Keys of records
// about one chat are its padded id; the others lead with what they are sorted by.

/** The key of what is kept per chat id (its mark, a change to tell): the id, fixed width. */
export function chatKey(id: number): string {
  return padId(id);
}

/** The chat id of a chatKey. */
export function chatIdOfKey(key: string): number {
  return Number(key);
}

/** The fields of a staged turn its key is made of. */
export type TurnKeyFields = ChatHistory & { readonly createdAt: number; readonly id: number };

/** The key of a staged turn: its history (historyKey), then time, then id — a range scan yields every history in order. */
export function turnKey(turn: TurnKeyFields): string {
  return `${historyKey(turn)}:${padId(turn.createdAt)}:${padId(turn.id)}`;
}

/** What a turn key says: its history's key, `createdAt` (ms) and chat id (turnKey's inverse). */
export interface ParsedTurnKey {
  readonly history: string;
  readonly createdAt: number;
  readonly id: number;
}

/** Reads a turn key back (turnKey); the history part is left as its key, schema-2 default threads included. */
export function parseTurnKey(key: string): ParsedTurnKey {
  const idAt = key.lastIndexOf(':');
  const timeAt = key.lastIndexOf(':', idAt - 1);
  return { history: key.slice(0, timeAt), createdAt: Number(key.slice(timeAt + 1, idAt)), id: Number(key.slice(idAt + 1)) };
}

/** The key of a sent conversation in its history's index: history, then end time, then id (DESIGN §2 `continues`). */
export function historySentKey(history: string, endedAtMs: number, id: string): string {
  return `${history}:${padId(endedAtMs)}:${id}`;
}

/** The index range of `history`'s sent conversations that ended at or before `endedAtMs` (historySentKey). */
export function historySentRange(history: string, endedAtMs: number): { readonly gte: string; readonly lt: string } {
  return { gte: `${history}:`, lt: `${history}:${padId(endedAtMs)}:~` };
}

/** The key of a conversation in the night's delivery plan: start time, then id (DESIGN §3 "Order"). */
export function planKey(startedAtMs: number, id: string): string {
  return `${padId(startedAtMs)}:${id}`;
}

/** What a plan key says: the conversation's start time (ms) and id (planKey's inverse). */
export function parsePlanKey(key: string): { readonly startedAtMs: number; readonly id: string } {
  const idAt = key.indexOf(':');
  return { startedAtMs: Number(key.slice(0, idAt)), id: key.slice(idAt + 1) };
}

/** The key of a quarantined record: its id (or `x` without one) and a digest of the record, so a re-read never keeps it twice. */
export function quarantineKey(id: number | null, rawDigest: string): string {
  return id === null ? `x:${rawDigest}` : `${padId(id)}:${rawDigest}`;
}
