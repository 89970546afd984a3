import { chatIdentity } from '../domain/chat-identity.js';
import type { Turn } from '../domain/turn.js';
import type { StagedMark } from '../store/state.js';
import type { PageLedger } from './page-ledger.js';
import { sameStagedChat } from './reused-ids.js';

/**
 * A copy of a staged, unsent chat (DESIGN §1: what a re-read shows wins for every chat not yet sent): one with
 * another identity is another chat under a reused id — the staged one is gone and the new one staged in its place;
 * an older `lastUpdatedAt` is a stale copy, ignored, as is a copy that says the same; any other replaces the staged
 * copy (edits keep `lastUpdatedAt`), or unstages it when the chat is hidden now.
 */
export function stagedCopySeen(ledger: PageLedger, turn: Turn, mark: StagedMark): void {
  const staged = ledger.stagedCopy(turn.id);
  if (staged !== undefined && !sameStagedChat(staged, turn)) {
    ledger.unstage(turn.id, mark);
    ledger.counts.gone++;
    return ledger.stageReused(turn, staged.reused === undefined ? undefined : chatIdentity(turn));
  }
  if (turn.updatedAt < mark.u) return void ledger.counts.ignored++;
  if (staged !== undefined && sameTurn(staged, turn)) return void ledger.counts.ignored++;
  ledger.unstage(turn.id, mark);
  if (ledger.skips(turn)) ledger.setMark(turn.id, { s: 'hidden', ...(staged?.reused === undefined ? {} : { r: staged.reused }) });
  else ledger.stage(turn, staged?.reused);
  ledger.counts.updated++;
}

// True when two copies of a chat say the same (every field a conversation is built from) under the same turn key
// (its history, createdAt and id are among them).
function sameTurn(a: Turn, b: Turn): boolean {
  return (
    a.prompt === b.prompt &&
    a.reply === b.reply &&
    a.include === b.include &&
    a.createdAt === b.createdAt &&
    a.updatedAt === b.updatedAt &&
    a.user === b.user &&
    a.userId === b.userId &&
    a.apiSessionId === b.apiSessionId &&
    a.workspaceId === b.workspaceId &&
    a.workspaceName === b.workspaceName &&
    a.workspaceSlug === b.workspaceSlug &&
    a.threadId === b.threadId
  );
}
