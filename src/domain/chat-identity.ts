import { createHash } from 'node:crypto';
import type { Turn } from './turn.js';

/** What AnythingLLM never rewrites in a chat row: the fields a chat's identity is made of (DESIGN §1 "A chat's identity"). */
export type IdentityFields = Pick<Turn, 'id' | 'createdAt' | 'workspaceId' | 'threadId' | 'userId' | 'apiSessionId'>;

/**
 * A short digest of a chat's identity: its `id` with `createdAt`, `workspaceId`, `thread_id`, `user_id` and
 * `api_session_id` (DESIGN §1; edits rewrite `prompt` or `response`, upserts `response`, `include` and
 * `lastUpdatedAt` — `WorkspaceChats._update`, `WorkspaceChats.upsert` in server/models/workspaceChats.js — nothing
 * rewrites the rest). Two copies with the same id and different digests are two chats: the id was reused (the
 * source was restored from a backup, or `BASE_URL` names another server). 64 bits of SHA-256, as 16 hex digits.
 */
export function chatIdentity(turn: IdentityFields): string {
  const fields = [turn.id, turn.createdAt, turn.workspaceId, turn.threadId, turn.userId, turn.apiSessionId];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 16);
}
