import type { ChangedChat, ChatMark, FoundChange, RetractedRecord, RetractionEntry, RetractionStatus } from './records.js';
import { chatIdOfKey, chatKey } from './keys.js';
import type { StateLevels } from './levels.js';

// The retraction outbox (DESIGN §3b): the changes found to sent chats (`changed`, written while a page is staged),
// frozen into retractions before their first POST (`retractions`), and the retractions the webhook accepted
// (`retracted`). What to freeze and what a retraction says is retractions/'s rule; this file only stores and reads.

/**
 * The changes found and not yet frozen: conversation id → chat id → its change. A chat whose change is frozen in a
 * retraction not yet sent (`f`) is left out: a change found since waits for that one to be sent.
 */
export async function changesToFreeze(state: StateLevels): Promise<Map<string, Map<number, FoundChange>>> {
  const byConversation = new Map<string, Map<number, FoundChange>>();
  for await (const [key, record] of state.changed.iterator()) {
    if (record.p === undefined || record.f !== undefined) continue;
    const chats = byConversation.get(record.c) ?? new Map<number, FoundChange>();
    chats.set(chatIdOfKey(key), record.p);
    byConversation.set(record.c, chats);
  }
  return byConversation;
}

/**
 * Freezes a retraction before its first POST, in one batch: the entry into the retraction outbox, and each of its
 * chats' change (`told`) from found to frozen in it (`f`: the retraction's id and the chat's told digest).
 */
export async function freezeRetraction(levels: StateLevels, entry: RetractionEntry): Promise<void> {
  const { body, told } = entry;
  const batch = levels.db.batch();
  batch.put(body.id, entry, { sublevel: levels.retractions });
  for (const chat of told) batch.put(chatKey(chat.chatId), { c: body.conversation, f: { r: body.id, h: chat.h } } satisfies ChangedChat, { sublevel: levels.changed });
  await batch.write();
}

/**
 * Records an accepted retraction in one batch (DESIGN §3b): out of the retraction outbox, into `retracted`; each
 * chat's mark takes the told digest (the edited text's, hidden's, gone's), so the next re-read compares with what the
 * receiver now knows; the chat's record keeps only a change found since (the edited text now is dropped with it).
 * `now` is when the webhook accepted it.
 */
export async function markRetracted(levels: StateLevels, entry: RetractionEntry, now: Date): Promise<void> {
  const { body, told } = entry;
  const keys = told.map((chat) => chatKey(chat.chatId));
  const [marks, records] = await Promise.all([levels.chats.getMany(keys), levels.changed.getMany(keys)]);
  const batch = levels.db.batch();
  batch.del(body.id, { sublevel: levels.retractions });
  batch.put(body.id, { conversation: body.conversation, chats: told.length, sentAt: now.toISOString() } satisfies RetractedRecord, { sublevel: levels.retracted });
  told.forEach((chat, i) => {
    const key = keys[i] as string;
    const mark = marks[i];
    if (mark?.s === 'conv' && mark.c === body.conversation) batch.put(key, { ...mark, h: chat.h } satisfies ChatMark, { sublevel: levels.chats });
    const record = records[i];
    if (record?.f?.r !== body.id) return;
    if (record.p === undefined) batch.del(key, { sublevel: levels.changed });
    else batch.put(key, { c: record.c, p: record.p } satisfies ChangedChat, { sublevel: levels.changed });
  });
  await batch.write();
}

/**
 * Keeps a failed retraction in its outbox as dead (retried next run) or parked (until `dead-letters retry`), with one
 * more attempt, its last error and `now` as when it failed.
 */
export async function markRetractionFailed(state: StateLevels, entry: RetractionEntry, status: Exclude<RetractionStatus, 'pending'>, error: string, now: Date): Promise<void> {
  const failed: RetractionEntry = { ...entry, status, attempts: entry.attempts + 1, lastError: error, failedAt: now.toISOString() };
  await state.retractions.put(entry.body.id, failed);
}

/** The retraction outbox's entries in the given statuses, oldest seen first (then id). Few: read at once. */
export async function retractionEntries(state: StateLevels, statuses: readonly RetractionStatus[]): Promise<RetractionEntry[]> {
  const entries = await state.retractions.values().all();
  return entries.filter((entry) => statuses.includes(entry.status)).sort((a, b) => a.body.seenAt.localeCompare(b.body.seenAt) || a.body.id.localeCompare(b.body.id));
}
