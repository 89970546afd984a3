import type { Message } from '../domain/conversation.js';
import type { Turn } from '../domain/turn.js';
import { withoutReasoning } from './reasoning.js';

/** How a turn's messages are written. */
export interface MessageOptions {
  /** Keep `<think>`/`<thinking>` blocks in assistant content (KEEP_REASONING). @default false */
  readonly keepReasoning?: boolean;
}

/**
 * The messages one turn contributes to a webhook body (DESIGN §3): the user's, with its `user` when the history has
 * one and its `attachments` when it has any, then the assistant's, with its `sources` when it has any — left out when
 * the reply is empty, or (reasoning removed, the default) was only reasoning. The one rendering of a turn: the body
 * and anything that measures it use this.
 */
export function turnMessages(turn: Turn, options: MessageOptions = {}): Message[] {
  const createdAt = new Date(turn.createdAt).toISOString();
  const asked: Message = {
    chatId: turn.id,
    role: 'user',
    content: turn.prompt,
    createdAt,
    ...(turn.userId === null || turn.user === null ? {} : { user: turn.user }),
    ...(turn.attachments === undefined || turn.attachments.length === 0 ? {} : { attachments: turn.attachments }),
  };
  const reply = options.keepReasoning === true ? turn.reply : withoutReasoning(turn.reply);
  if (reply === '') return [asked];
  const answered: Message = { chatId: turn.id, role: 'assistant', content: reply, createdAt, ...(turn.sources === undefined || turn.sources.length === 0 ? {} : { sources: turn.sources }) };
  return [asked, answered];
}
