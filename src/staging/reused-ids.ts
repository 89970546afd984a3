import { historyKey, historyOf, legacyDefaultThreadKey } from '../domain/chat-history.js';
import { chatIdentity } from '../domain/chat-identity.js';
import type { Turn } from '../domain/turn.js';
import type { ChatMark, SentRecord } from '../store/records.js';

/** Which copies on a page are other chats under ids that belonged to frozen chats, and which marks learn their identity. */
export interface ReusedIds {
  /** Chat id → the copy's identity digest, for copies whose identity differs from the frozen chat's. */
  readonly reused: ReadonlyMap<number, string>;
  /** Chat id → identity digest, for marks written before schema 4 (no `i`) whose copy matches their sent conversation. */
  readonly learned: ReadonlyMap<number, string>;
}

/**
 * Compares each copy of a frozen chat (`conv` mark) with the chat frozen under its id (DESIGN §1 "A chat's
 * identity"): by the mark's identity digest, or — for a mark written before schema 4 — by its sent conversation's
 * history and time range (a copy in another history, or created outside the conversation, is another chat; one
 * inside it is taken to be the same chat, and its mark learns the copy's identity). `sent`: the sent records of the
 * conversations the marks name (KnownChats `sent`); a conversation not in it is still in the outbox.
 */
export function findReusedIds(turns: readonly Turn[], marks: ReadonlyMap<number, ChatMark | undefined>, sent: ReadonlyMap<string, SentRecord>): ReusedIds {
  const result = { reused: new Map<number, string>(), learned: new Map<number, string>() };
  for (const turn of turns) {
    const mark = marks.get(turn.id);
    if (mark?.s !== 'conv') continue;
    const identity = chatIdentity(turn);
    if (mark.i !== undefined) {
      if (mark.i !== identity) result.reused.set(turn.id, identity);
      continue;
    }
    const record = sent.get(mark.c);
    if (record === undefined) continue; // still in the outbox: sent as frozen, the copy taken for the same chat
    if (withinSent(turn, record)) result.learned.set(turn.id, identity);
    else result.reused.set(turn.id, identity);
  }
  return result;
}

/**
 * True when `copy` is the staged chat `staged` under its id (DESIGN §1 "A chat's identity"): same identity digest. A
 * turn staged before schema 3 did not record its user and API session (migrate.ts stored null for both): for such a
 * turn the rest of its identity decides.
 */
export function sameStagedChat(staged: Turn, copy: Turn): boolean {
  if (staged.userId === null && staged.apiSessionId === null) return chatIdentity({ ...staged, userId: copy.userId, apiSessionId: copy.apiSessionId }) === chatIdentity(copy);
  return chatIdentity(staged) === chatIdentity(copy);
}

// True when `turn` could be a chat of the sent conversation `sent`: its history, and a createdAt inside its span.
function withinSent(turn: Turn, sent: SentRecord): boolean {
  if (turn.createdAt < Date.parse(sent.startedAt) || turn.createdAt > Date.parse(sent.endedAt)) return false;
  const history = sent.history ?? sent.thread;
  if (history === undefined) return true;
  if (history === historyKey(historyOf(turn))) return true;
  // Before schema 3 a workspace's default thread was one history for every user and API session (`WS:-`).
  return turn.threadId === null && history === legacyDefaultThreadKey(turn.workspaceId);
}
