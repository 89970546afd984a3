import type { Turn } from './turn.js';

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
