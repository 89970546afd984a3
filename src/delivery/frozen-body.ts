import { toConversation } from '../conversations/conversation.js';
import type { MessageOptions } from '../conversations/turn-messages.js';
import type { Conversation } from '../domain/conversation.js';
import type { FrozenEntry } from '../store/state.js';

/**
 * The webhook body (DESIGN §3) a frozen conversation stands for, exactly as it was frozen (DESIGN §4: retries and
 * resends send the frozen conversation): its kept messages, or the body rebuilt from its staged turns with the id and
 * `continues` it was frozen with, their messages written with `options` (turnMessages). `type` is put back in bodies
 * frozen before it existed.
 */
export function bodyOf({ entry, turns }: FrozenEntry, options: MessageOptions = {}): Conversation {
  const { conversation } = entry;
  if (turns === undefined) return { ...conversation, type: 'conversation', messages: conversation.messages ?? [] };
  return toConversation(conversation.id, turns, conversation.continues, options);
}
