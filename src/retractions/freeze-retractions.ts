import { killPoint } from '../kill-point.js';
import type { State } from '../store/state.js';
import type { FoundChange, RetractionEntry, SentRecord } from '../store/records.js';
import { retractionId } from './retraction-id.js';
import type { ChatChange, ConversationHead, RetractionBody } from '../domain/retraction.js';
import { historyOfKey } from '../domain/chat-history.js';

/**
 * Freezes the changes found (by this night's re-read or an earlier `reconcile`) into retractions, one per sent
 * conversation (DESIGN §3b), each with its chats' changes (State.freezeRetraction): the body is fixed before its first
 * POST. A chat whose earlier retraction is not yet sent waits for it (its change goes into a later retraction), and
 * so does every change of a conversation not yet sent. `now` stamps the entry. Returns the ids frozen.
 */
export async function freezeRetractions(state: State, now: Date): Promise<string[]> {
  const frozen: string[] = [];
  for (const [conversation, changes] of await state.changesToFreeze()) {
    const sent = await state.sentRecord(conversation);
    if (sent === undefined) continue;
    const head = [...changes.values()].find((change) => change.head !== undefined)?.head ?? sentHead(sent);
    const entry = entryOf(conversation, head, changes, now);
    killPoint('retraction-found');
    await state.freezeRetraction(entry);
    killPoint('retraction-frozen');
    frozen.push(entry.body.id);
  }
  return frozen;
}

// The outbox entry of one conversation's changes (chat id → change): the body in chat order, each chat's told digest.
function entryOf(conversation: string, head: ConversationHead, changes: ReadonlyMap<number, FoundChange>, now: Date): RetractionEntry {
  const sorted = [...changes].map(([chatId, change]) => ({ chatId, change })).sort((a, b) => a.chatId - b.chatId);
  const chats: ChatChange[] = sorted.map(({ chatId, change }) => ({ chatId, change: change.kind, ...(change.kind === 'edited' && change.messages !== undefined ? { messages: change.messages } : {}) }));
  const told = sorted.map(({ chatId, change }) => ({ chatId, h: change.h }));
  const id = retractionId(conversation, sorted.map(({ chatId, change }) => ({ chatId, change: change.kind, h: change.h, seenAt: change.seenAt })));
  const seenAt = sorted.map(({ change }) => change.seenAt).sort().at(-1) ?? now.toISOString();
  const body: RetractionBody = { type: 'retraction', id, conversation, ...head, chats, seenAt };
  return { body, told, status: 'pending', attempts: 0, frozenAt: now.toISOString() };
}

// The history fields of a conversation whose changed chats are all deletions (no copy to read them from): kept with
// its sent record; one sent before they were kept has its history key only (names then empty).
function sentHead(sent: SentRecord): ConversationHead {
  if (sent.head !== undefined) return sent.head;
  const history = historyOfKey(sent.history ?? sent.thread ?? '') ?? { workspaceId: 0, threadId: null, userId: null, apiSessionId: null };
  return {
    workspace: { id: history.workspaceId, name: '', slug: '' },
    threadId: history.threadId,
    user: history.userId === null ? null : { id: history.userId, username: null },
    apiSessionId: history.apiSessionId,
  };
}
