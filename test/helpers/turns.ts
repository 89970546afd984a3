import type { Turn } from '../../src/domain/turn.js';

/** Base instant of hand-written examples: 2026-11-23T10:00:00Z. */
export const t0 = Date.parse('2026-11-23T10:00:00Z');
/** One minute in ms. */
export const minute = 60_000;
/** One hour in ms. */
export const hour = 60 * minute;

/** A valid Turn for tests; only what a test cares about needs saying. */
export function turn(fields: Partial<Turn> & { id: number; createdAt: number }): Turn {
  return {
    workspaceId: 1,
    workspaceName: 'Sales',
    workspaceSlug: 'sales',
    threadId: null,
    userId: null,
    apiSessionId: null,
    updatedAt: fields.createdAt,
    user: 'alice',
    prompt: `question ${fields.id}`,
    reply: `answer ${fields.id}`,
    include: true,
    ...fields,
  };
}

/** Collects an async iterable into an array (Array.fromAsync needs Node 22). */
export async function collectAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
