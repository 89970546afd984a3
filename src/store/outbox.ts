import { counted } from '../log/counted.js';
import { toConversation } from '../conversations/conversation.js';
import type { MessageOptions } from '../conversations/turn-messages.js';
import type { Conversation } from '../domain/conversation.js';
import { McError } from '../errors.js';
import type { Turn } from '../domain/turn.js';
import { frozenMark } from './frozen-mark.js';
import { chatKey, historySentKey, historySentRange } from './keys.js';
import type { GroupCommit } from './group-commit.js';
import type { HistorySent, OutboxEntry, OutboxStatus, SentRecord } from './records.js';
import { inShortReads } from './short-reads.js';
import type { State } from './state.js';
import { historyKey } from '../domain/chat-history.js';

/** A frozen conversation ready for its POST: the outbox entry and the body it stands for. */
export interface Frozen {
  readonly entry: OutboxEntry;
  readonly conversation: Conversation;
}

/**
 * Freezes a closed conversation just before its first POST (DESIGN §4), in one (group) commit: the outbox entry
 * (the body without its messages, and its turns' keys — the turns stay staged until the 2xx) and each chat marked
 * with the conversation's id and a digest of what it said, so no re-read restages it and one can tell a change.
 */
export async function freeze(commits: GroupCommit, state: State, conversation: Conversation, staged: { readonly turns: readonly Turn[]; readonly turnKeys: readonly string[] }, now: Date): Promise<Frozen> {
  const { messages: _, ...head } = conversation;
  const { turns, turnKeys } = staged;
  const entry: OutboxEntry = { conversation: head, turnKeys, status: 'pending', attempts: 0, frozenAt: now.toISOString() };
  await commits.commit((batch) => {
    batch.put(conversation.id, entry, { sublevel: state.outbox });
    for (const turn of turns) batch.put(chatKey(turn.id), frozenMark(conversation.id, turn), { sublevel: state.chats });
  });
  return { entry, conversation };
}

/**
 * The body a frozen conversation stands for: its kept messages, or the same body rebuilt from its turns (their
 * messages written with `options`: turnMessages). Undefined for an entry already sent — a copy the storage brought
 * back (see inShortReads) — which is dropped on the way.
 */
export async function bodyOf(state: State, entry: OutboxEntry, options: MessageOptions = {}): Promise<Conversation | undefined> {
  const { conversation, turnKeys } = entry;
  if (turnKeys === undefined) return { ...conversation, type: 'conversation', messages: conversation.messages ?? [] };
  const turns = await state.turns.getMany([...turnKeys]);
  const missing = turnKeys.filter((_, i) => turns[i] === undefined);
  if (missing.length === 0) return toConversation(conversation.id, turns as Turn[], conversation.continues, options);
  if ((await state.sent.get(conversation.id)) !== undefined) {
    await state.outbox.del(conversation.id);
    return undefined;
  }
  throw new McError('MC_STATE_DAMAGED', `state in ${state.stateDir} is damaged: ${counted(missing.length, 'turn')} of frozen conversation ${conversation.id} are missing; restore it from a backup — nothing was rewritten`);
}

/** The keys of every frozen conversation's turns: staged turns that belong to no new conversation. */
export async function frozenTurnKeys(state: State): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const [, entry] of inShortReads(state.outbox)) for (const key of entry.turnKeys ?? []) keys.add(key);
  return keys;
}

/** The key of a conversation's chat history, from its webhook body (bodies frozen before schema 3 have no user fields). */
export function historyKeyOf(conversation: Pick<Conversation, 'workspace' | 'threadId' | 'user' | 'apiSessionId'>): string {
  return historyKey({ workspaceId: conversation.workspace.id, threadId: conversation.threadId, userId: conversation.user?.id ?? null, apiSessionId: conversation.apiSessionId ?? null });
}

/**
 * The latest conversation of `history` sent that ended at or before `startedAtMs` (DESIGN §2 `continues`), from
 * the history's index of sent conversations — whatever order they were sent in.
 */
export async function latestSentBefore(state: State, history: string, startedAtMs: number): Promise<HistorySent | undefined> {
  const [found] = await state.histories.values({ ...historySentRange(history, startedAtMs), reverse: true, limit: 1 }).all();
  return found;
}

/** Records an accepted delivery: out of the outbox with its turns, into the sent conversations, in one (group) commit. */
export function markSent(commits: GroupCommit, state: State, { entry, conversation }: Frozen, now: Date): Promise<void> {
  const history = historyKeyOf(conversation);
  const sent: SentRecord = {
    history,
    startedAt: conversation.startedAt,
    endedAt: conversation.endedAt,
    chats: new Set(conversation.messages.map((message) => message.chatId)).size,
    sentAt: now.toISOString(),
    head: { workspace: conversation.workspace, threadId: conversation.threadId, user: conversation.user ?? null, apiSessionId: conversation.apiSessionId ?? null },
  };
  return commits.commit((batch) => {
    batch.del(conversation.id, { sublevel: state.outbox }).put(conversation.id, sent, { sublevel: state.sent });
    batch.put(historySentKey(history, Date.parse(conversation.endedAt), conversation.id), { id: conversation.id, startedAt: Date.parse(conversation.startedAt), endedAt: Date.parse(conversation.endedAt) } satisfies HistorySent, { sublevel: state.histories });
    for (const key of entry.turnKeys ?? []) batch.del(key, { sublevel: state.turns });
  });
}

/** Keeps a failed conversation in the outbox as a dead letter (retried next run) or parked (until retried by hand), counting the `posts` this delivery made. */
export async function markFailed(commits: GroupCommit, state: State, entry: OutboxEntry, status: Exclude<OutboxStatus, 'pending'>, error: string, posts: number, now: Date): Promise<OutboxEntry> {
  const failed: OutboxEntry = { ...entry, status, attempts: entry.attempts + posts, lastError: error, failedAt: now.toISOString() };
  await commits.commit((batch) => batch.put(entry.conversation.id, failed, { sublevel: state.outbox }));
  return failed;
}

/** The outbox entries in the given statuses, in id order, streamed (no snapshot held between reads: inShortReads). */
export async function* outboxEntries(state: State, statuses: readonly OutboxStatus[]): AsyncGenerator<OutboxEntry> {
  for await (const [, entry] of inShortReads(state.outbox)) {
    if (statuses.includes(entry.status)) yield entry;
  }
}
