import { goneDigest } from '../domain/chat-digest.js';
import type { ConversationHead, RetractionMessage } from '../domain/retraction.js';
import type { Turn } from '../domain/turn.js';
import type { ChangedChat, FoundChange } from '../store/records.js';
import type { KnownChats, PageWrite } from '../store/state.js';
import type { ChangeLog, ConvMark } from './after-send.js';
import { toldDigest } from './told-digest.js';

/**
 * The ChangeLog with RETRACT_WEBHOOK_URL (DESIGN §3b): a change to a sent chat is kept in the `changed` record of the
 * chat, in the page's write, to be told as a retraction. What the receiver was told: the digest of the retraction
 * frozen and not yet sent (`f`), else the mark's (what was sent, or told by the last retraction sent: the mark moves
 * once a retraction is sent); the change found and not yet frozen is `p`. Records of another conversation (a chat
 * sent before under a reused id) are not this chat's.
 */
export class ChangeFinder implements ChangeLog {
  private readonly records = new Map<number, ChangedChat | undefined>();

  /** Over what `known` says waits to be told; changes go to `write`, seen at `seenAt` (ISO-8601). */
  constructor(
    private readonly known: KnownChats,
    private readonly write: PageWrite,
    private readonly seenAt: string,
  ) {}

  told(id: number, mark: ConvMark): string | undefined {
    return this.recordOf(id, mark)?.f?.h ?? mark.h;
  }

  pending(id: number, mark: ConvMark): string | undefined {
    return this.recordOf(id, mark)?.p?.h;
  }

  drop(id: number, mark: ConvMark): void {
    const record = this.recordOf(id, mark);
    if (record !== undefined) this.keep(id, { c: record.c, ...(record.f === undefined ? {} : { f: record.f }) });
  }

  changed(turn: Turn, mark: ConvMark): void {
    const edited = turn.include;
    const change: FoundChange = { kind: edited ? 'edited' : 'hidden', h: toldDigest(turn), ...(edited ? { messages: messagesNow(turn) } : {}), seenAt: this.seenAt, head: headOf(turn) };
    this.found(turn.id, mark, change);
  }

  deleted(id: number, mark: ConvMark): void {
    this.found(id, mark, { kind: 'deleted', h: goneDigest, seenAt: this.seenAt });
  }

  // The change found replaces any change not yet frozen; a frozen one stays.
  private found(id: number, mark: ConvMark, change: FoundChange): void {
    const frozen = this.recordOf(id, mark)?.f;
    this.keep(id, { c: mark.c, ...(frozen === undefined ? {} : { f: frozen }), p: change });
  }

  private keep(id: number, record: ChangedChat): void {
    this.records.set(id, record);
    this.write.change(id, record.p === undefined && record.f === undefined ? undefined : record);
  }

  // Chat `id`'s record as this page left it, when it belongs to the conversation its mark names now.
  private recordOf(id: number, mark: ConvMark): ChangedChat | undefined {
    const record = this.records.has(id) ? this.records.get(id) : this.known.changes.get(id);
    return record?.c === mark.c ? record : undefined;
  }
}

/** An edited chat's text now: the prompt, then the reply when there is one (DESIGN §3b `messages`). */
export function messagesNow(turn: Pick<Turn, 'prompt' | 'reply'>): RetractionMessage[] {
  return [{ role: 'user', content: turn.prompt }, ...(turn.reply === '' ? [] : [{ role: 'assistant' as const, content: turn.reply }])];
}

// The chat history fields of a retraction, from a copy of one of its chats (as toConversation builds them).
function headOf(turn: Turn): ConversationHead {
  return {
    workspace: { id: turn.workspaceId, name: turn.workspaceName, slug: turn.workspaceSlug },
    threadId: turn.threadId,
    user: turn.userId === null ? null : { id: turn.userId, username: turn.user },
    apiSessionId: turn.apiSessionId,
  };
}
