import type { State } from '../store/state.js';
import type { ChangedChat, ChatMark, RetractedRecord, RetractionEntry, RetractionStatus } from '../store/records.js';
import { padId } from '../domain/fixed-width.js';

/**
 * Records an accepted retraction in one batch (DESIGN §3b): out of the retraction outbox, into `retracted`; each
 * chat's mark takes the told digest (the edited text's, hidden's, gone's), so the next re-read compares with what the
 * receiver now knows; the chat's record keeps only a change found since (the edited text now is dropped with it).
 */
export async function markRetracted(state: State, entry: RetractionEntry, now: Date): Promise<void> {
  const { body, told } = entry;
  const keys = told.map((chat) => padId(chat.chatId));
  const [marks, records] = await Promise.all([state.chats.getMany(keys), state.changed.getMany(keys)]);
  const batch = state.db.batch();
  batch.del(body.id, { sublevel: state.retractions });
  batch.put(body.id, { conversation: body.conversation, chats: told.length, sentAt: now.toISOString() } satisfies RetractedRecord, { sublevel: state.retracted });
  told.forEach((chat, i) => {
    const key = keys[i] as string;
    const mark = marks[i];
    if (mark?.s === 'conv' && mark.c === body.conversation) batch.put(key, { ...mark, h: chat.h } satisfies ChatMark, { sublevel: state.chats });
    const record = records[i];
    if (record?.f?.r !== body.id) return;
    if (record.p === undefined) batch.del(key, { sublevel: state.changed });
    else batch.put(key, { c: record.c, p: record.p } satisfies ChangedChat, { sublevel: state.changed });
  });
  await batch.write();
}

/** Keeps a failed retraction in its outbox as dead (retried next run) or parked (until `dead-letters retry`). */
export async function markRetractionFailed(state: State, entry: RetractionEntry, status: Exclude<RetractionStatus, 'pending'>, error: string, now: Date): Promise<RetractionEntry> {
  const failed: RetractionEntry = { ...entry, status, attempts: entry.attempts + 1, lastError: error, failedAt: now.toISOString() };
  await state.retractions.put(entry.body.id, failed);
  return failed;
}

/** The retraction outbox's entries in the given statuses, oldest seen first (then id). Few: read at once. */
export async function retractionEntries(state: State, statuses: readonly RetractionStatus[]): Promise<RetractionEntry[]> {
  const entries = await state.retractions.values().all();
  return entries.filter((entry) => statuses.includes(entry.status)).sort((a, b) => a.body.seenAt.localeCompare(b.body.seenAt) || a.body.id.localeCompare(b.body.id));
}
