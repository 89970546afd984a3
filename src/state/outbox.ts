import type { Conversation } from '../conversations/conversation.js';
import type { Turn } from '../source/turn.js';
import { padId, threadKey, turnKey } from './keys.js';
import type { LastSent, OutboxEntry, OutboxStatus } from './records.js';
import type { State } from './state.js';

/**
 * Freezes a closed conversation before its first POST (DESIGN §4), in one atomic batch: the outbox entry, its
 * turns out of staging, each chat marked with the conversation id, and the thread's latest conversation.
 * `lastSent` is that thread's latest conversation as stored (the caller reads it once per thread).
 */
export async function freeze(state: State, conversation: Conversation, turns: readonly Turn[], now: Date, lastSent: LastSent | undefined): Promise<OutboxEntry> {
  const entry: OutboxEntry = { conversation, status: 'pending', attempts: 0, frozenAt: now.toISOString() };
  const batch = state.db.batch();
  batch.put(conversation.id, entry, { sublevel: state.outbox });
  for (const turn of turns) {
    batch.del(turnKey(turn), { sublevel: state.turns });
    batch.put(padId(turn.id), { s: 'conv', c: conversation.id }, { sublevel: state.chats });
  }
  const latest = latestSent(lastSent, conversation);
  if (latest !== lastSent) batch.put(threadKey(conversation.workspace.id, conversation.threadId), latest, { sublevel: state.threads });
  await batch.write();
  return entry;
}

/** A thread's latest conversation once `conversation` is frozen: it, unless `lastSent` ended later. */
export function latestSent(lastSent: LastSent | undefined, conversation: Conversation): LastSent {
  const endedAt = Date.parse(conversation.endedAt);
  return lastSent === undefined || lastSent.endedAt <= endedAt ? { id: conversation.id, endedAt } : lastSent;
}

/** Records an accepted delivery: out of the outbox, into the sent conversations, in one batch. */
export async function markSent(state: State, entry: OutboxEntry, now: Date): Promise<void> {
  const { conversation } = entry;
  await state.db
    .batch()
    .del(conversation.id, { sublevel: state.outbox })
    .put(
      conversation.id,
      {
        thread: threadKey(conversation.workspace.id, conversation.threadId),
        startedAt: conversation.startedAt,
        endedAt: conversation.endedAt,
        chats: new Set(conversation.messages.map((message) => message.chatId)).size,
        sentAt: now.toISOString(),
      },
      { sublevel: state.sent },
    )
    .write();
}

/** Keeps a failed conversation in the outbox as a dead letter (retried next run) or parked (until retried by hand). */
export async function markFailed(state: State, entry: OutboxEntry, status: Exclude<OutboxStatus, 'pending'>, error: string, now: Date): Promise<OutboxEntry> {
  const failed: OutboxEntry = { ...entry, status, attempts: entry.attempts + 1, lastError: error, failedAt: now.toISOString() };
  await state.outbox.put(entry.conversation.id, failed);
  return failed;
}

/** The outbox entries in the given statuses, in id order, streamed. */
export async function* outboxEntries(state: State, statuses: readonly OutboxStatus[]): AsyncGenerator<OutboxEntry> {
  for await (const entry of state.outbox.values()) {
    if (statuses.includes(entry.status)) yield entry;
  }
}
