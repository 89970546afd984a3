import { chatDigest } from '../domain/chat-digest.js';
import { chatIdentity } from '../domain/chat-identity.js';
import type { Turn } from '../domain/turn.js';
import type { ChatMark } from './records.js';

/** The mark of a chat frozen in conversation `conversationId`: the digest of what it says and of its identity (DESIGN §1, §4). */
export function frozenMark(conversationId: string, turn: Turn): ChatMark {
  return { s: 'conv', c: conversationId, h: chatDigest(turn), i: chatIdentity(turn) };
}
