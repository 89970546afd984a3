import { killPoint } from '../kill-point.js';
import type { State } from '../store/state.js';
import type { ChangedChat, RetractionEntry } from '../store/records.js';
import { retractionId } from './retraction-id.js';
import type { ChatChange, ConversationHead, RetractionBody } from '../domain/retraction.js';
import { padId } from '../domain/fixed-width.js';

/** A changed chat waiting to be frozen, with its record. */
interface Waiting {
  readonly chatId: number;
  readonly record: ChangedChat & { readonly p: NonNullable<ChangedChat['p']> };
}

/**
 * Freezes the changes found (by this night's re-read or an earlier `reconcile`) into retractions, one per sent
 * conversation (DESIGN §3b), each in one batch with its chats' records (their change moves from `p` to `f`): the
 * body is fixed before its first POST. A chat whose earlier retraction is not yet sent waits for it (its change goes
 * into a later retraction), and so does every change of a conversation not yet sent. Returns the ids frozen.
 */
export async function freezeRetractions(state: State, now: Date): Promise<string[]> {
  const byConversation = new Map<string, Waiting[]>();
  for await (const [key, record] of state.changed.iterator()) {
    if (record.p === undefined || record.f !== undefined) continue;
    const group = byConversation.get(record.c) ?? [];
    group.push({ chatId: Number(key), record: record as Waiting['record'] });
    byConversation.set(record.c, group);
  }
  const frozen: string[] = [];
  for (const [conversation, chats] of byConversation) {
    const sent = await state.sent.get(conversation);
    if (sent === undefined) continue;
    const head = chats.find((chat) => chat.record.p.head !== undefined)?.record.p.head ?? (await sentHead(state, conversation));
    const entry = entryOf(conversation, head, chats, now);
    killPoint('retraction-found');
    const batch = state.db.batch();
    batch.put(entry.body.id, entry, { sublevel: state.retractions });
    for (const chat of chats) batch.put(padId(chat.chatId), { c: conversation, f: { r: entry.body.id, h: chat.record.p.h } } satisfies ChangedChat, { sublevel: state.changed });
    await batch.write();
    killPoint('retraction-frozen');
    frozen.push(entry.body.id);
  }
  return frozen;
}

function entryOf(conversation: string, head: ConversationHead, waiting: readonly Waiting[], now: Date): RetractionEntry {
  const sorted = [...waiting].sort((a, b) => a.chatId - b.chatId);
  const chats: ChatChange[] = sorted.map(({ chatId, record: { p } }) => ({ chatId, change: p.kind, ...(p.kind === 'edited' && p.messages !== undefined ? { messages: p.messages } : {}) }));
  const told = sorted.map(({ chatId, record }) => ({ chatId, h: record.p.h }));
  const id = retractionId(conversation, sorted.map(({ chatId, record: { p } }) => ({ chatId, change: p.kind, h: p.h, seenAt: p.seenAt })));
  const seenAt = sorted.map(({ record }) => record.p.seenAt).sort().at(-1) ?? now.toISOString();
  const body: RetractionBody = { type: 'retraction', id, conversation, ...head, chats, seenAt };
  return { body, told, status: 'pending', attempts: 0, frozenAt: now.toISOString() };
}

// The history fields of a conversation whose changed chats are all deletions (no copy to read them from): kept with
// its sent record; one sent before they were kept has its history key only (names then empty).
async function sentHead(state: State, conversation: string): Promise<ConversationHead> {
  const sent = await state.sent.get(conversation);
  if (sent?.head !== undefined) return sent.head;
  const [workspace = '0', second = '', third = '-'] = (sent?.history ?? sent?.thread ?? '').split(':');
  const threadId = second.startsWith('-') || second === '' ? null : Number(second);
  const userPart = second.startsWith('-') ? second.slice(1) : '-';
  return {
    workspace: { id: Number(workspace), name: '', slug: '' },
    threadId,
    user: userPart === '-' || userPart === '' ? null : { id: Number(userPart), username: null },
    apiSessionId: third.startsWith('s') ? decodeURIComponent(third.slice(1)) : null,
  };
}
