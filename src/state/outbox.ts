import { toConversation, type Conversation } from '../conversations/conversation.js';
import { McError } from '../errors.js';
import type { Turn } from '../source/turn.js';
import { padId, threadKey, turnKey } from './keys.js';
import type { GroupCommit } from './group-commit.js';
import type { LastSent, OutboxEntry, OutboxStatus, SentRecord } from './records.js';
import { inShortReads } from './short-reads.js';
import type { State } from './state.js';

/** A closed conversation about to be frozen, with its turns. */
export interface ToFreeze {
  readonly conversation: Conversation;
  readonly turns: readonly Turn[];
}

/** A frozen conversation ready for its POST: the outbox entry and the body it stands for. */
export interface Frozen {
  readonly entry: OutboxEntry;
  readonly conversation: Conversation;
}

/**
 * Freezes closed conversations before their first POST (DESIGN §4), in one atomic batch: the outbox entries (the
 * body without its messages, and its turns' keys — the turns stay staged until the 2xx), each chat marked with its
 * conversation id, and each thread's latest conversation (`latest`, worked out by the caller, which reads each
 * thread's stored one once).
 */
export async function freeze(state: State, items: readonly ToFreeze[], latest: ReadonlyMap<string, LastSent>, now: Date): Promise<Frozen[]> {
  const batch = state.db.batch();
  const frozen = items.map(({ conversation, turns }) => {
    const { messages: _, ...head } = conversation;
    const entry: OutboxEntry = { conversation: head, turnKeys: turns.map(turnKey), status: 'pending', attempts: 0, frozenAt: now.toISOString() };
    batch.put(conversation.id, entry, { sublevel: state.outbox });
    for (const turn of turns) batch.put(padId(turn.id), { s: 'conv', c: conversation.id }, { sublevel: state.chats });
    return { entry, conversation };
  });
  for (const [thread, lastSent] of latest) batch.put(thread, lastSent, { sublevel: state.threads });
  await state.exclusive(() => batch.write());
  return frozen;
}

/**
 * The body a frozen conversation stands for: its kept messages, or the same body rebuilt from its turns. Undefined
 * for an entry already sent — a copy the storage brought back (see inShortReads) — which is dropped on the way.
 */
export async function bodyOf(state: State, entry: OutboxEntry): Promise<Conversation | undefined> {
  const { conversation, turnKeys } = entry;
  if (turnKeys === undefined) return { ...conversation, messages: conversation.messages ?? [] };
  const turns = await state.turns.getMany([...turnKeys]);
  const missing = turnKeys.filter((_, i) => turns[i] === undefined);
  if (missing.length === 0) return toConversation(conversation.id, turns as Turn[], conversation.continues);
  if ((await state.sent.get(conversation.id)) !== undefined) {
    await state.outbox.del(conversation.id);
    return undefined;
  }
  throw new McError('MC_STATE_DAMAGED', `state in ${state.stateDir} is damaged: ${missing.length} turns of frozen conversation ${conversation.id} are missing; restore it from a backup — nothing was rewritten`);
}

/** The keys of every frozen conversation's turns: staged turns that belong to no new conversation. */
export async function frozenTurnKeys(state: State): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const [, entry] of inShortReads(state.outbox)) for (const key of entry.turnKeys ?? []) keys.add(key);
  return keys;
}

/** The record of `conversation` as its thread's latest one. */
export function lastSentOf(conversation: Conversation): LastSent {
  return { id: conversation.id, startedAt: Date.parse(conversation.startedAt), endedAt: Date.parse(conversation.endedAt) };
}

/** A thread's latest conversation once `conversation` is frozen: it, unless `lastSent` ended later. */
export function latestSent(lastSent: LastSent | undefined, conversation: Conversation): LastSent {
  const candidate = lastSentOf(conversation);
  return lastSent === undefined || lastSent.endedAt <= candidate.endedAt ? candidate : lastSent;
}

/** Records an accepted delivery: out of the outbox with its turns, into the sent conversations, in one (group) commit. */
export function markSent(commits: GroupCommit, state: State, { entry, conversation }: Frozen, now: Date): Promise<void> {
  const sent: SentRecord = {
    thread: threadKey(conversation.workspace.id, conversation.threadId),
    startedAt: conversation.startedAt,
    endedAt: conversation.endedAt,
    chats: new Set(conversation.messages.map((message) => message.chatId)).size,
    sentAt: now.toISOString(),
  };
  return commits.commit((batch) => {
    batch.del(conversation.id, { sublevel: state.outbox }).put(conversation.id, sent, { sublevel: state.sent });
    for (const key of entry.turnKeys ?? []) batch.del(key, { sublevel: state.turns });
  });
}

/** Keeps a failed conversation in the outbox as a dead letter (retried next run) or parked (until retried by hand). */
export async function markFailed(commits: GroupCommit, state: State, entry: OutboxEntry, status: Exclude<OutboxStatus, 'pending'>, error: string, now: Date): Promise<OutboxEntry> {
  const failed: OutboxEntry = { ...entry, status, attempts: entry.attempts + 1, lastError: error, failedAt: now.toISOString() };
  await commits.commit((batch) => batch.put(entry.conversation.id, failed, { sublevel: state.outbox }));
  return failed;
}

/** The outbox entries in the given statuses, in id order, streamed (no snapshot held between reads: inShortReads). */
export async function* outboxEntries(state: State, statuses: readonly OutboxStatus[]): AsyncGenerator<OutboxEntry> {
  for await (const [, entry] of inShortReads(state.outbox)) {
    if (statuses.includes(entry.status)) yield entry;
  }
}
