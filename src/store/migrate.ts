import type { Turn } from '../domain/turn.js';
import { chatIdentity } from '../domain/chat-identity.js';
import { historyOfKey, legacyDefaultThreadKey } from '../domain/chat-history.js';
import { chatKey, historySentKey, parseTurnKey, turnKey } from './keys.js';
import type { ChatMark, OutboxEntry } from './records.js';
import type { StateLevels } from './levels.js';

/**
 * Migrates an older state to `to` in place, in one atomic batch (DESIGN §4): every staged turn gains its history
 * fields (`userId`, `apiSessionId`; unknown before schema 3, so null) and default-thread turns move to their
 * history's key, outbox entries follow their turns' new keys, and the sent conversations of numbered threads are
 * indexed by history for `continues`; the old per-thread records go. A schema-2 turn did not record its user, so a
 * migrated default-thread turn waits in the no-user history until the next night re-reads it (paging reaches back
 * to every open turn, DESIGN §1) and restages it under its real history. Schema 1 differs from 2 only in outbox
 * entries that keep their messages, which 3 reads as is. From schema 3 on, 4 adds identities (identityMarks).
 */
export async function migrate(state: StateLevels, from: number, to: number): Promise<void> {
  const batch = state.db.batch();
  if (from < 3) await historyKeys(state, batch);
  await identityMarks(state, batch);
  batch.put('schema', to, { sublevel: state.meta });
  await batch.write();
}

/**
 * Schema 4 (DESIGN §1 "A chat's identity"): the marks of chats frozen in the outbox gain their identity digest (`i`),
 * read from their staged turns. Marks of sent chats cannot (their turns are gone): their sent conversation's history
 * and time range stand for their identity until a re-read teaches it (reused-ids.ts). Turns staged before schema 3
 * recorded no user: their marks are left to the same rule.
 */
async function identityMarks(state: StateLevels, batch: ReturnType<StateLevels['db']['batch']>): Promise<void> {
  for await (const [id, entry] of state.outbox.iterator()) {
    const keys = entry.turnKeys ?? [];
    const turns = await state.turns.getMany([...keys]);
    for (const turn of turns) {
      if (turn === undefined || !('userId' in turn)) continue;
      const mark = await state.chats.get(chatKey(turn.id));
      if (mark?.s === 'conv' && mark.c === id && mark.i === undefined) batch.put(chatKey(turn.id), { ...mark, i: chatIdentity(turn) } satisfies ChatMark, { sublevel: state.chats });
    }
  }
}

// Schema 3: staged turns keyed by chat history, outbox entries following them, sent conversations indexed per history.
async function historyKeys(state: StateLevels, batch: ReturnType<StateLevels['db']['batch']>): Promise<void> {
  const moved = new Map<string, string>();
  for await (const [key, turn] of state.turns.iterator()) {
    const migrated: Turn = { ...turn, userId: turn.userId ?? null, apiSessionId: turn.apiSessionId ?? null };
    // A schema-2 default thread's turn (`WS:-:TIME:ID`: one history for every user and session) moves to its history's key.
    const newKey = parseTurnKey(key).history === legacyDefaultThreadKey(turn.workspaceId) ? turnKey(migrated) : key;
    if (newKey !== key) {
      moved.set(key, newKey);
      batch.del(key, { sublevel: state.turns });
    }
    batch.put(newKey, migrated, { sublevel: state.turns });
    const mark = await state.chats.get(chatKey(turn.id));
    if (mark?.s === 'staged' && mark.k === key && newKey !== key) batch.put(chatKey(turn.id), { ...mark, k: newKey } satisfies ChatMark, { sublevel: state.chats });
  }
  for await (const [id, entry] of state.outbox.iterator()) {
    if (entry.turnKeys?.some((key) => moved.has(key)) !== true) continue;
    batch.put(id, { ...entry, turnKeys: entry.turnKeys.map((key) => moved.get(key) ?? key) } satisfies OutboxEntry, { sublevel: state.outbox });
  }
  for await (const [id, sent] of state.sent.iterator()) {
    const history = sent.history ?? sent.thread;
    // A numbered thread's key (`WS:THREAD`) stays its history's key; a default thread's owner is unknown.
    if (history === undefined || (historyOfKey(history)?.threadId ?? null) === null) continue;
    batch.put(historySentKey(history, Date.parse(sent.endedAt), id), { id, startedAt: Date.parse(sent.startedAt), endedAt: Date.parse(sent.endedAt) }, { sublevel: state.histories });
  }
  const threads = state.db.sublevel('threads');
  for await (const key of threads.keys()) batch.del(key, { sublevel: threads });
}
