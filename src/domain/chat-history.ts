import type { Turn } from './turn.js';
import { padId } from './fixed-width.js';

/**
 * What AnythingLLM itself keeps apart as one chat history (DESIGN §2; `WorkspaceChats.forWorkspaceByUser`,
 * `forWorkspaceByApiSessionId` in server/models/workspaceChats.js): a thread, or the default thread of one user or
 * one developer-API session of a workspace. Chats of different histories never share a conversation.
 */
export interface ChatHistory {
  readonly workspaceId: number;
  /** A thread belongs to one user: the thread alone names the history. */
  readonly threadId: number | null;
  /** Only for the default thread (`threadId` null); null for a thread. */
  readonly userId: number | null;
  /** Only for the default thread (`threadId` null); null for a thread. */
  readonly apiSessionId: string | null;
}

/** The chat history a turn belongs to. */
export function historyOf(turn: Pick<Turn, 'workspaceId' | 'threadId' | 'userId' | 'apiSessionId'>): ChatHistory {
  if (turn.threadId !== null) return { workspaceId: turn.workspaceId, threadId: turn.threadId, userId: null, apiSessionId: null };
  return { workspaceId: turn.workspaceId, threadId: null, userId: turn.userId, apiSessionId: turn.apiSessionId };
}

/** True when two turns belong to the same chat history. */
export function sameHistory(a: Turn, b: Turn): boolean {
  if (a.workspaceId !== b.workspaceId || a.threadId !== b.threadId) return false;
  return a.threadId !== null || (a.userId === b.userId && a.apiSessionId === b.apiSessionId);
}

/**
 * A chat history's key (DESIGN §2), its one written form: the store's keys start with it (so a range scan yields
 * every history in order), sent records and the plan name a history by it, `status` shows it. Free of ':' past its
 * own separators so it can lead a longer key: `WS:THREAD` for a thread; `WS:-USER:SESSION` for a default thread, with
 * `-` for a null user or session and `s` + the URI-encoded session id otherwise (schema 3; schema 2 keyed the
 * default thread `WS:-` for everyone: legacyDefaultThreadKey).
 */
export function historyKey(history: ChatHistory): string {
  const workspace = padId(history.workspaceId);
  if (history.threadId !== null) return `${workspace}:${padId(history.threadId)}`;
  const user = history.userId === null ? '-' : padId(history.userId);
  const session = history.apiSessionId === null ? '-' : `s${encodeURIComponent(history.apiSessionId)}`;
  return `${workspace}:-${user}:${session}`;
}

/** The key schema 2 gave a workspace's default thread, one history for every user and API session (`WS:-`). */
export function legacyDefaultThreadKey(workspaceId: number): string {
  return `${padId(workspaceId)}:-`;
}

/**
 * The chat history a key names (historyKey's inverse); a schema-2 default thread (`WS:-`) reads as the default thread
 * with no user and no session. Undefined for a string that is no history key.
 */
export function historyOfKey(key: string): ChatHistory | undefined {
  const match = /^(\d{16}):(?:(\d{16})|-(?:(-|\d{16}):(-|s[^:]*))?)$/.exec(key);
  if (match === null) return undefined;
  const [, workspace, thread, user, session] = match;
  if (thread !== undefined) return { workspaceId: Number(workspace), threadId: Number(thread), userId: null, apiSessionId: null };
  return {
    workspaceId: Number(workspace),
    threadId: null,
    userId: user === undefined || user === '-' ? null : Number(user),
    apiSessionId: session === undefined || session === '-' ? null : decodeURIComponent(session.slice(1)),
  };
}

/** The chat history of a conversation's webhook body (bodies frozen before schema 3 have no user fields: null). */
export function historyOfBody(body: { readonly workspace: { readonly id: number }; readonly threadId: number | null; readonly user?: { readonly id: number } | null; readonly apiSessionId?: string | null }): ChatHistory {
  return { workspaceId: body.workspace.id, threadId: body.threadId, userId: body.user?.id ?? null, apiSessionId: body.apiSessionId ?? null };
}
