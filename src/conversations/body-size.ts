import type { Turn } from '../domain/turn.js';
import { headOf } from './conversation.js';
import { turnMessages, type MessageOptions } from './turn-messages.js';

// The longest value `id` and `continues` take (conversation-id.ts): `continues` is decided at delivery from what was
// sent, so the size rule counts it at its largest and stays a rule on the sorted history (DESIGN §2 "Caps").
const longestId = `conv_${'x'.repeat(32)}`;

/**
 * The UTF-8 bytes a turn adds to the `messages` array of the JSON body, rendered by the same `turnMessages` the body is
 * built with (with the same `options`), without the array's brackets; joining two turns' messages costs one comma more.
 */
export function turnBytes(turn: Turn, options: MessageOptions = {}): number {
  return Buffer.byteLength(JSON.stringify(turnMessages(turn, options)), 'utf8') - 2;
}

/**
 * The UTF-8 size of the JSON body (DESIGN §3) of a conversation from `first` to `last` whose turns' `turnBytes`
 * add up to `messagesBytes` over `turns` turns: the fields but the messages (with `continues` at its longest),
 * the messages, and the commas between turns. Never less than the body sent.
 */
export function bodyBytes(first: Turn, last: Turn, messagesBytes: number, turns: number): number {
  return headBytes(first, last) + messagesBytes + Math.max(0, turns - 1);
}

// The last head measured: within one conversation the head changes only with what its last turn names (workspace,
// user, session), and its times have a fixed width, so one measure serves turn after turn.
let lastHead: { first: Turn; last: Turn; bytes: number } | undefined;

function headBytes(first: Turn, last: Turn): number {
  if (lastHead !== undefined && lastHead.first === first && namesSame(lastHead.last, last)) return lastHead.bytes;
  const bytes = Buffer.byteLength(JSON.stringify({ ...headOf(longestId, first, last, longestId), messages: [] }), 'utf8');
  lastHead = { first, last, bytes };
  return bytes;
}

function namesSame(a: Turn, b: Turn): boolean {
  return a.workspaceId === b.workspaceId && a.workspaceName === b.workspaceName && a.workspaceSlug === b.workspaceSlug && a.userId === b.userId && a.user === b.user && a.apiSessionId === b.apiSessionId;
}
