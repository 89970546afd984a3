import { makeChat, type RawChat } from '../fixtures/raw-chat.ts';

/**
 * `count` conversations of two turns five minutes apart, each in its own thread (1, 2, …), the i-th starting
 * `i` × 10 minutes after `baseMs`: chat 2i+1 opens the i-th (from 0), chat 2i+2 closes it. Delivered oldest first.
 */
export function threadConversations(count: number, baseMs: number): RawChat[] {
  return Array.from({ length: count }, (_, i) => [
    makeChat({ id: 2 * i + 1, thread_id: i + 1, createdAt: new Date(baseMs + i * 600_000).toISOString() }),
    makeChat({ id: 2 * i + 2, thread_id: i + 1, createdAt: new Date(baseMs + i * 600_000 + 300_000).toISOString() }),
  ]).flat();
}
