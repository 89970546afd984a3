import type { ChatHistory } from '../domain/chat-history.js';

// Fixed-width decimal keys, so LevelDB's byte order is the numeric order (DESIGN §4: "its key order is the sort").
const width = 16; // Number.MAX_SAFE_INTEGER has 16 digits

/** Zero-pads a non-negative safe integer to a fixed width. */
export function padId(value: number): string {
  return String(value).padStart(width, '0');
}

/**
 * The key of a chat history (DESIGN §2), free of ':' past its own separators so it can lead a longer key:
 * `WS:THREAD` for a thread; `WS:-USER:SESSION` for a default thread, with `-` for a null user or session and
 * `s` + the URI-encoded session id otherwise (schema 3; schema 2 keyed the default thread `WS:-` for everyone).
 */
export function historyKey(history: ChatHistory): string {
  const workspace = padId(history.workspaceId);
  if (history.threadId !== null) return `${workspace}:${padId(history.threadId)}`;
  const user = history.userId === null ? '-' : padId(history.userId);
  const session = history.apiSessionId === null ? '-' : `s${encodeURIComponent(history.apiSessionId)}`;
  return `${workspace}:-${user}:${session}`;
}

/** The key of a staged turn: its history, then time, then id — a range scan yields every history in order. */
export function turnKey(turn: ChatHistory & { readonly createdAt: number; readonly id: number }): string {
  return `${historyKey(turn)}:${padId(turn.createdAt)}:${padId(turn.id)}`;
}

/** The chat id at the end of a turn key. */
export function chatIdOfTurnKey(key: string): number {
  return Number(key.slice(key.lastIndexOf(':') + 1));
}

/** The key of a sent conversation in its history's index: history, then end time, then id (DESIGN §2 `continues`). */
export function historySentKey(history: string, endedAtMs: number, id: string): string {
  return `${history}:${padId(endedAtMs)}:${id}`;
}

/** The key of a conversation in the night's delivery plan: start time, then id (DESIGN §3 "Order"). */
export function planKey(startedAtMs: number, id: string): string {
  return `${padId(startedAtMs)}:${id}`;
}
