import type { Conversation } from '../domain/conversation.js';
import type { Turn } from '../domain/turn.js';
import { frozenMark } from './frozen-mark.js';
import { chatKey, historySentKey, turnKey } from './keys.js';
import { bodyOf } from './outbox.js';
import type { MessageOptions } from '../conversations/turn-messages.js';
import type { ChatMark, OutboxEntry } from './records.js';
import type { State } from './state.js';

/** What a replayed conversation replaces: the per-chat marks before it, and the conversations they named. */
export interface Replaced {
  readonly marks: readonly (ChatMark | undefined)[];
  /** Conversation ids the chats were marked with, other than the replayed conversation's own. */
  readonly conversations: ReadonlySet<string>;
}

/** Reads the marks of a replayed conversation's chats. */
export async function replacedBy(state: State, turns: readonly Turn[], id: string | undefined): Promise<Replaced> {
  const marks = await state.chats.getMany(turns.map((turn) => chatKey(turn.id)));
  const conversations = new Set<string>();
  for (const mark of marks) if (mark?.s === 'conv' && mark.c !== id) conversations.add(mark.c);
  return { marks, conversations };
}

/**
 * Freezes a closed replayed conversation in one batch (DESIGN §4–§5): the outbox entry with the replay's key
 * suffix, its chats out of staging and marked with it, and the conversations it supersedes — those that started
 * at or after `sinceMs` — forgotten (its history's index of sent conversations gains it once it is sent).
 */
export async function freezeReplayed(state: State, conversation: Conversation, turns: readonly Turn[], replaced: Replaced, options: { replay: string; sinceMs: number; now: Date; written: MessageOptions }): Promise<void> {
  const entry: OutboxEntry = { conversation, status: 'pending', attempts: 0, frozenAt: options.now.toISOString(), replay: options.replay };
  const batch = state.db.batch();
  await forgetSuperseded(state, batch, replaced.conversations, options);
  batch.put(conversation.id, entry, { sublevel: state.outbox });
  turns.forEach((turn, i) => {
    const mark = replaced.marks[i];
    if (mark?.s === 'staged') batch.del(mark.k, { sublevel: state.turns });
    batch.del(turnKey(turn), { sublevel: state.turns });
    batch.put(chatKey(turn.id), frozenMark(conversation.id, turn), { sublevel: state.chats });
  });
  await batch.write();
}

/**
 * Stages the chats of a replayed conversation that is still open, so it is sent whole once it closes; forgets
 * what it supersedes.
 */
export async function reopenReplayed(state: State, turns: readonly Turn[], replaced: Replaced, options: { sinceMs: number; written: MessageOptions }): Promise<void> {
  const batch = state.db.batch();
  await forgetSuperseded(state, batch, replaced.conversations, options);
  turns.forEach((turn, i) => {
    const mark = replaced.marks[i];
    if (mark?.s === 'staged' && mark.u >= turn.updatedAt) return; // the staged copy is as new: keep it
    if (mark?.s === 'staged' && mark.k !== turnKey(turn)) batch.del(mark.k, { sublevel: state.turns });
    batch.put(turnKey(turn), turn, { sublevel: state.turns });
    batch.put(chatKey(turn.id), { s: 'staged', k: turnKey(turn), u: turn.updatedAt } satisfies ChatMark, { sublevel: state.chats });
  });
  await batch.write();
}

type Batch = ReturnType<State['db']['batch']>;

/**
 * Forgets the superseded conversations that started at or after the replay's DATE; one that started before keeps its
 * older chats, so it is kept — with its messages, since the replay takes its turns over. Goes first in `batch`, so
 * the turns the replay stages again are not deleted after.
 */
async function forgetSuperseded(state: State, batch: Batch, ids: ReadonlySet<string>, options: { sinceMs: number; written: MessageOptions }): Promise<void> {
  const { sinceMs, written } = options;
  if (ids.size === 0) return;
  const keys = [...ids];
  const [waiting, sent] = await Promise.all([state.outbox.getMany(keys), state.sent.getMany(keys)]);
  for (const [i, id] of keys.entries()) {
    const entry = waiting[i];
    if (entry !== undefined) {
      const body = Date.parse(entry.conversation.startedAt) >= sinceMs ? undefined : await bodyOf(state, entry, written);
      if (body === undefined) batch.del(id, { sublevel: state.outbox });
      else batch.put(id, { ...entry, conversation: body, turnKeys: undefined } satisfies OutboxEntry, { sublevel: state.outbox });
      for (const key of entry.turnKeys ?? []) batch.del(key, { sublevel: state.turns });
    }
    const record = sent[i];
    if (record === undefined || Date.parse(record.startedAt) < sinceMs) continue;
    batch.del(id, { sublevel: state.sent });
    const history = record.history ?? record.thread;
    if (history !== undefined) batch.del(historySentKey(history, Date.parse(record.endedAt), id), { sublevel: state.histories });
  }
}
