import type { Conversation } from '../domain/conversation.js';
import type { Turn } from '../domain/turn.js';
import { frozenMark } from './frozen-mark.js';
import { chatKey, historySentKey, turnKey } from './keys.js';
import type { Root, StateLevels } from './levels.js';
import { frozenConversation, type FrozenEntry } from './outbox.js';
import type { ChatMark, OutboxEntry } from './records.js';

/** What a replayed conversation replaces (replacedBy). */
export interface Replaced {
  /** Conversation ids its chats were marked with, other than its own. */
  readonly conversations: ReadonlySet<string>;
  /**
   * Those of them still in the outbox that started before the replay's DATE, with their turns: they keep their older
   * chats, so they stay, with their messages (the replay takes their turns over); their bodies go in Superseded.kept.
   */
  readonly waiting: readonly FrozenEntry[];
}

/** What freezing or reopening a replayed conversation forgets: the conversations it replaces, and the bodies of those kept. */
export interface Superseded {
  readonly conversations: ReadonlySet<string>;
  /** The bodies (messages included) of Replaced.waiting, built from their entries and turns. */
  readonly kept: readonly Conversation[];
}

type Batch = ReturnType<Root['batch']>;

/**
 * The conversations the chats of a replayed conversation (`turns`, its id `id`) were marked with, and those of them
 * that stay in the outbox: started before `sinceMs`, the replay's DATE (DESIGN §5).
 */
export async function replacedBy(levels: StateLevels, turns: readonly Turn[], id: string, sinceMs: number): Promise<Replaced> {
  const marks = await marksOf(levels, turns);
  const conversations = new Set<string>();
  for (const mark of marks) if (mark?.s === 'conv' && mark.c !== id) conversations.add(mark.c);
  const ids = [...conversations];
  const entries = await levels.outbox.getMany(ids);
  const waiting: FrozenEntry[] = [];
  for (const [i, other] of ids.entries()) {
    const entry = entries[i];
    if (entry === undefined || !startedBefore(entry, sinceMs)) continue;
    const frozen = await frozenConversation(levels, other);
    if (frozen !== undefined) waiting.push(frozen);
  }
  return { conversations, waiting };
}

/**
 * Freezes a closed replayed conversation (its whole body, messages included) in one batch (DESIGN §4–§5): the outbox
 * entry with the replay's Idempotency-Key suffix `replay`, its chats out of staging and marked with it, and the
 * conversations it supersedes that started at or after `sinceMs` forgotten (its history's index of sent
 * conversations gains it once it is sent).
 */
export async function freezeReplayed(levels: StateLevels, conversation: Conversation, turns: readonly Turn[], superseded: Superseded, options: { readonly replay: string; readonly sinceMs: number; readonly now: Date }): Promise<void> {
  const entry: OutboxEntry = { conversation, status: 'pending', attempts: 0, frozenAt: options.now.toISOString(), replay: options.replay };
  const marks = await marksOf(levels, turns);
  const batch = levels.db.batch();
  await forgetSuperseded(levels, batch, superseded, options.sinceMs);
  batch.put(conversation.id, entry, { sublevel: levels.outbox });
  turns.forEach((turn, i) => {
    const mark = marks[i];
    if (mark?.s === 'staged') batch.del(mark.k, { sublevel: levels.turns });
    batch.del(turnKey(turn), { sublevel: levels.turns });
    batch.put(chatKey(turn.id), frozenMark(conversation.id, turn), { sublevel: levels.chats });
  });
  await batch.write();
}

/**
 * Stages the chats of a replayed conversation that is still open, so it is sent whole once it closes (a staged copy
 * as new as the replayed one stays); forgets what it supersedes, as freezeReplayed does.
 */
export async function reopenReplayed(levels: StateLevels, turns: readonly Turn[], superseded: Superseded, options: { readonly sinceMs: number }): Promise<void> {
  const marks = await marksOf(levels, turns);
  const batch = levels.db.batch();
  await forgetSuperseded(levels, batch, superseded, options.sinceMs);
  turns.forEach((turn, i) => {
    const mark = marks[i];
    if (mark?.s === 'staged' && mark.u >= turn.updatedAt) return; // the staged copy is as new: keep it
    if (mark?.s === 'staged' && mark.k !== turnKey(turn)) batch.del(mark.k, { sublevel: levels.turns });
    batch.put(turnKey(turn), turn, { sublevel: levels.turns });
    batch.put(chatKey(turn.id), { s: 'staged', k: turnKey(turn), u: turn.updatedAt } satisfies ChatMark, { sublevel: levels.chats });
  });
  await batch.write();
}

// The per-chat marks of `turns`' chats, in their order.
function marksOf(levels: StateLevels, turns: readonly Turn[]): Promise<(ChatMark | undefined)[]> {
  return levels.chats.getMany(turns.map((turn) => chatKey(turn.id)));
}

// True when a superseded conversation in the outbox started before the replay's DATE: it keeps its older chats.
function startedBefore(entry: OutboxEntry, sinceMs: number): boolean {
  return Date.parse(entry.conversation.startedAt) < sinceMs;
}

/**
 * Forgets the superseded conversations that started at or after the replay's DATE; one still in the outbox that
 * started before keeps its older chats, so it is kept — with its messages (`superseded.kept`), since the replay takes
 * its turns over. Goes first in `batch`, so the turns the replay stages again are not deleted after.
 */
async function forgetSuperseded(levels: StateLevels, batch: Batch, superseded: Superseded, sinceMs: number): Promise<void> {
  if (superseded.conversations.size === 0) return;
  const ids = [...superseded.conversations];
  const kept = new Map(superseded.kept.map((body) => [body.id, body]));
  const [waiting, sent] = await Promise.all([levels.outbox.getMany(ids), levels.sent.getMany(ids)]);
  for (const [i, id] of ids.entries()) {
    const entry = waiting[i];
    if (entry !== undefined) {
      const body = startedBefore(entry, sinceMs) ? kept.get(id) : undefined;
      if (body === undefined) batch.del(id, { sublevel: levels.outbox });
      else batch.put(id, { ...entry, conversation: body, turnKeys: undefined } satisfies OutboxEntry, { sublevel: levels.outbox });
      for (const key of entry.turnKeys ?? []) batch.del(key, { sublevel: levels.turns });
    }
    const record = sent[i];
    if (record === undefined || Date.parse(record.startedAt) < sinceMs) continue;
    batch.del(id, { sublevel: levels.sent });
    const history = record.history ?? record.thread;
    if (history !== undefined) batch.del(historySentKey(history, Date.parse(record.endedAt), id), { sublevel: levels.histories });
  }
}
