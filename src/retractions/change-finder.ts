import type { Turn } from '../domain/turn.js';
import { goneDigest } from '../domain/chat-digest.js';
import type { ChangedChat, ChatMark, FoundChange } from '../store/records.js';
import type { State } from '../store/state.js';
import { saysTheSame, toldDigest } from './told-digest.js';
import type { ConversationHead, RetractionMessage } from '../domain/retraction.js';
import { padId } from '../domain/fixed-width.js';

type ConvMark = Extract<ChatMark, { s: 'conv' }>;
type Batch = ReturnType<State['db']['batch']>;

/** The after-send count a change found adds to (stage-page.ts StageCounts). */
export type AfterSendCount = 'changedAfterSend' | 'hiddenAfterSend';

/**
 * Finds, for one staged page, the sent chats whose copy now says something else than what the receiver was last
 * told (DESIGN §3b), and records each as a change to tell in the `changed` sublevel, in the page's batch. Compared:
 * the copy with the change found and not yet frozen (`p`), else the one frozen and not yet sent (`f`), else the
 * mark's digest (what was sent, or told by the last retraction sent). A copy back to what was told before its change
 * was frozen drops the change (an edit back gives no event). Chats of a conversation not yet sent are left alone:
 * it is sent as frozen, and compared once it is sent.
 */
export class ChangeFinder {
  private constructor(
    private readonly state: State,
    private readonly records: Map<number, ChangedChat | undefined>,
    private readonly sent: ReadonlySet<string>,
    private readonly seenAt: string,
  ) {}

  /** Reads what the page's sent chats (marks with a digest) have waiting to be told, and which conversations were sent. */
  static async load(state: State, turns: readonly Turn[], marks: ReadonlyMap<number, ChatMark | undefined>, seenAt: string): Promise<ChangeFinder> {
    const sentChats = turns.flatMap((turn) => {
      const mark = marks.get(turn.id);
      return mark?.s === 'conv' && mark.h !== undefined ? [{ id: turn.id, conversation: mark.c }] : [];
    });
    const records = await state.changed.getMany(sentChats.map((chat) => padId(chat.id)));
    const conversations = [...new Set(sentChats.map((chat) => chat.conversation))];
    const sent = await state.sent.getMany(conversations);
    return new ChangeFinder(
      state,
      new Map(sentChats.map((chat, i) => [chat.id, ofConversation(records[i], chat.conversation)])),
      new Set(conversations.filter((_, i) => sent[i] !== undefined)),
      seenAt,
    );
  }

  /** Compares a sent chat's copy (its mark has a digest); the count it adds to when it is a new change. */
  seen(turn: Turn, mark: ConvMark, batch: Batch): AfterSendCount | undefined {
    if (!this.sent.has(mark.c)) return undefined;
    const record = this.records.get(turn.id);
    const base = record?.f?.h ?? mark.h;
    if (saysTheSame(turn, record?.p?.h ?? base)) return undefined;
    if (record?.p !== undefined && saysTheSame(turn, base)) {
      this.write(batch, turn.id, withoutChange(record));
      return undefined;
    }
    const edited = turn.include;
    const change: FoundChange = { kind: edited ? 'edited' : 'hidden', h: toldDigest(turn), ...(edited ? { messages: messagesNow(turn) } : {}), seenAt: this.seenAt, head: headOf(turn) };
    this.write(batch, turn.id, { c: mark.c, ...(record?.f === undefined ? {} : { f: record.f }), p: change });
    return edited ? 'changedAfterSend' : 'hiddenAfterSend';
  }

  /** A sent chat the page proves deleted (DESIGN §1 idGaps); true when that is a new change. */
  async gone(id: number, mark: ConvMark, batch: Batch): Promise<boolean> {
    if ((await this.state.sent.get(mark.c)) === undefined) return false;
    const record = this.records.has(id) ? this.records.get(id) : ofConversation(await this.state.changed.get(padId(id)), mark.c);
    if ((record?.p?.h ?? record?.f?.h ?? mark.h) === goneDigest) return false;
    this.write(batch, id, { c: mark.c, ...(record?.f === undefined ? {} : { f: record.f }), p: { kind: 'deleted', h: goneDigest, seenAt: this.seenAt } });
    return true;
  }

  private write(batch: Batch, id: number, record: ChangedChat): void {
    this.records.set(id, record);
    if (record.p === undefined && record.f === undefined) batch.del(padId(id), { sublevel: this.state.changed });
    else batch.put(padId(id), record, { sublevel: this.state.changed });
  }
}

// A chat's record when it belongs to the conversation its mark names now (not to another chat sent under a reused id).
function ofConversation(record: ChangedChat | undefined, conversation: string): ChangedChat | undefined {
  return record?.c === conversation ? record : undefined;
}

// The record without its unfrozen change.
function withoutChange(record: ChangedChat): ChangedChat {
  return { c: record.c, ...(record.f === undefined ? {} : { f: record.f }) };
}

/** An edited chat's text now: the prompt, then the reply when there is one (DESIGN §3b `messages`). */
export function messagesNow(turn: Pick<Turn, 'prompt' | 'reply'>): RetractionMessage[] {
  return [{ role: 'user', content: turn.prompt }, ...(turn.reply === '' ? [] : [{ role: 'assistant' as const, content: turn.reply }])];
}

/** The chat history fields of a retraction, from a copy of one of its chats (as toConversation builds them). */
export function headOf(turn: Turn): ConversationHead {
  return {
    workspace: { id: turn.workspaceId, name: turn.workspaceName, slug: turn.workspaceSlug },
    threadId: turn.threadId,
    user: turn.userId === null ? null : { id: turn.userId, username: turn.user },
    apiSessionId: turn.apiSessionId,
  };
}
