import type { Conversation } from '../conversations/conversation.js';
import type { Turn } from '../source/turn.js';
import { padId, threadKey, turnKey } from './keys.js';
import type { GroupCommit } from './group-commit.js';
import type { LastSent, OutboxEntry, OutboxStatus, SentRecord } from './records.js';
import type { State } from './state.js';

/** A closed conversation about to be frozen, with its turns. */
export interface ToFreeze {
  readonly conversation: Conversation;
  readonly turns: readonly Turn[];
}

/**
 * Freezes closed conversations before their first POST (DESIGN §4), in one atomic batch: the outbox entries, their
 * turns out of staging, each chat marked with its conversation id, and each thread's latest conversation
 * (`latest`, worked out by the caller, which reads each thread's stored one once).
 */
export async function freeze(state: State, items: readonly ToFreeze[], latest: ReadonlyMap<string, LastSent>, now: Date): Promise<OutboxEntry[]> {
  const batch = state.db.batch();
  const entries = items.map(({ conversation, turns }) => {
    const entry: OutboxEntry = { conversation, status: 'pending', attempts: 0, frozenAt: now.toISOString() };
    batch.put(conversation.id, entry, { sublevel: state.outbox });
    for (const turn of turns) {
      batch.del(turnKey(turn), { sublevel: state.turns });
      batch.put(padId(turn.id), { s: 'conv', c: conversation.id }, { sublevel: state.chats });
    }
    return entry;
  });
  for (const [thread, lastSent] of latest) batch.put(thread, lastSent, { sublevel: state.threads });
  await state.exclusive(() => batch.write());
  return entries;
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

/** Records an accepted delivery: out of the outbox, into the sent conversations, in one (group) commit. */
export function markSent(commits: GroupCommit, state: State, entry: OutboxEntry, now: Date): Promise<void> {
  const { conversation } = entry;
  const sent: SentRecord = {
    thread: threadKey(conversation.workspace.id, conversation.threadId),
    startedAt: conversation.startedAt,
    endedAt: conversation.endedAt,
    chats: new Set(conversation.messages.map((message) => message.chatId)).size,
    sentAt: now.toISOString(),
  };
  return commits.commit((batch) => batch.del(conversation.id, { sublevel: state.outbox }).put(conversation.id, sent, { sublevel: state.sent }));
}

/** Keeps a failed conversation in the outbox as a dead letter (retried next run) or parked (until retried by hand). */
export async function markFailed(commits: GroupCommit, state: State, entry: OutboxEntry, status: Exclude<OutboxStatus, 'pending'>, error: string, now: Date): Promise<OutboxEntry> {
  const failed: OutboxEntry = { ...entry, status, attempts: entry.attempts + 1, lastError: error, failedAt: now.toISOString() };
  await commits.commit((batch) => batch.put(entry.conversation.id, failed, { sublevel: state.outbox }));
  return failed;
}

/** The outbox entries in the given statuses, in id order, streamed. */
export async function* outboxEntries(state: State, statuses: readonly OutboxStatus[]): AsyncGenerator<OutboxEntry> {
  for await (const entry of state.outbox.values()) {
    if (statuses.includes(entry.status)) yield entry;
  }
}
