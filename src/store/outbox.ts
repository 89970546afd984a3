import { historyKey, historyOfBody } from '../domain/chat-history.js';
import type { Conversation } from '../domain/conversation.js';
import type { Turn } from '../domain/turn.js';
import { McError } from '../errors.js';
import { counted } from '../log/counted.js';
import { frozenMark } from './frozen-mark.js';
import { groupCommitOf } from './group-commit.js';
import { chatKey, historySentKey, historySentRange, turnKey } from './keys.js';
import type { StateLevels } from './levels.js';
import type { HistorySent, OutboxEntry, OutboxStatus, SentRecord } from './records.js';
import { inShortReads } from './short-reads.js';

/**
 * A frozen conversation as the outbox holds it: its entry, and the staged turns its body is rebuilt from (in order),
 * or undefined when the entry keeps its messages (a replay's conversation, or one whose turns a replay took over).
 */
export interface FrozenEntry {
  readonly entry: OutboxEntry;
  readonly turns: readonly Turn[] | undefined;
}

/**
 * Freezes a closed conversation just before its first POST (DESIGN §4), in one group commit with the other
 * deliveries' writes: the outbox entry (the body without its messages, and its turns' keys — the turns stay staged
 * until the 2xx) and each chat marked with the conversation's id and a digest of what it said, so no re-read
 * restages it and one can tell a change. `turns` are the conversation's staged turns, in order. Returns the entry.
 */
export async function freeze(levels: StateLevels, conversation: Conversation, turns: readonly Turn[], now: Date): Promise<OutboxEntry> {
  const { messages: _, ...head } = conversation;
  const entry: OutboxEntry = { conversation: head, turnKeys: turns.map(turnKey), status: 'pending', attempts: 0, frozenAt: now.toISOString() };
  await groupCommitOf(levels.db).commit((batch) => {
    batch.put(conversation.id, entry, { sublevel: levels.outbox });
    for (const turn of turns) batch.put(chatKey(turn.id), frozenMark(conversation.id, turn), { sublevel: levels.chats });
  });
  return entry;
}

/**
 * The outbox entry of conversation `id` with the turns its body is rebuilt from (FrozenEntry); undefined when there is
 * none, or when it was already sent — a copy the storage brought back (see inShortReads), dropped on the way. Throws
 * MC_STATE_DAMAGED when turns of an unsent one are missing.
 */
export async function frozenConversation(levels: StateLevels, id: string): Promise<FrozenEntry | undefined> {
  const entry = await levels.outbox.get(id);
  if (entry === undefined) return undefined;
  const { turnKeys } = entry;
  if (turnKeys === undefined) return { entry, turns: undefined };
  const turns = await levels.turns.getMany([...turnKeys]);
  const missing = turnKeys.filter((_, i) => turns[i] === undefined);
  if (missing.length === 0) return { entry, turns: turns as Turn[] };
  if ((await levels.sent.get(id)) !== undefined) {
    await levels.outbox.del(id);
    return undefined;
  }
  throw new McError('MC_STATE_DAMAGED', `state in ${levels.stateDir} is damaged: ${counted(missing.length, 'turn')} of frozen conversation ${id} are missing; restore it from a backup — nothing was rewritten`);
}

/**
 * The latest conversation of chat history `history` (domain/chat-history.ts historyKey) sent that ended at or before
 * `startedAtMs` (DESIGN §2 `continues`), from the history's index of sent conversations — whatever order they were
 * sent in; undefined when none did.
 */
export async function latestSentBefore(levels: StateLevels, history: string, startedAtMs: number): Promise<HistorySent | undefined> {
  const [found] = await levels.histories.values({ ...historySentRange(history, startedAtMs), reverse: true, limit: 1 }).all();
  return found;
}

/**
 * Records an accepted delivery of `conversation` (the body sent for `entry`), in one group commit: out of the outbox
 * with its staged turns, into the sent conversations and its history's index of them (DESIGN §2 `continues`).
 */
export function markSent(levels: StateLevels, entry: OutboxEntry, conversation: Conversation, now: Date): Promise<void> {
  const history = historyKey(historyOfBody(conversation));
  const sent: SentRecord = {
    history,
    startedAt: conversation.startedAt,
    endedAt: conversation.endedAt,
    chats: new Set(conversation.messages.map((message) => message.chatId)).size,
    sentAt: now.toISOString(),
    head: { workspace: conversation.workspace, threadId: conversation.threadId, user: conversation.user ?? null, apiSessionId: conversation.apiSessionId ?? null },
  };
  return groupCommitOf(levels.db).commit((batch) => {
    batch.del(conversation.id, { sublevel: levels.outbox }).put(conversation.id, sent, { sublevel: levels.sent });
    batch.put(historySentKey(history, Date.parse(conversation.endedAt), conversation.id), { id: conversation.id, startedAt: Date.parse(conversation.startedAt), endedAt: Date.parse(conversation.endedAt) } satisfies HistorySent, { sublevel: levels.histories });
    for (const key of entry.turnKeys ?? []) batch.del(key, { sublevel: levels.turns });
  });
}

/**
 * Keeps a failed conversation in the outbox as a dead letter (retried next run) or parked (until retried by hand),
 * with `error` and `posts` more POSTs counted, in one group commit. Returns the entry as written.
 */
export async function markFailed(levels: StateLevels, entry: OutboxEntry, status: Exclude<OutboxStatus, 'pending'>, error: string, posts: number, now: Date): Promise<OutboxEntry> {
  const failed: OutboxEntry = { ...entry, status, attempts: entry.attempts + posts, lastError: error, failedAt: now.toISOString() };
  await groupCommitOf(levels.db).commit((batch) => batch.put(entry.conversation.id, failed, { sublevel: levels.outbox }));
  return failed;
}

/** The outbox entries in the given statuses, in id order, streamed (no snapshot held between reads: inShortReads). */
export async function* outboxEntries(levels: StateLevels, statuses: readonly OutboxStatus[]): AsyncGenerator<OutboxEntry> {
  for await (const [, entry] of inShortReads(levels.outbox)) {
    if (statuses.includes(entry.status)) yield entry;
  }
}
