import type { Turn } from '../domain/turn.js';
import type { StateLevels } from './levels.js';
import { inShortReads } from './short-reads.js';

/**
 * The staged turns in key order — by chat history, then `createdAt`, then id (keys.ts turnKey), the order the rolling
 * gap cuts (DESIGN §2) — but for those of frozen conversations: they stay staged until their webhook's 2xx (DESIGN
 * §4) and belong to no new conversation. Streamed, no snapshot held between reads (inShortReads).
 */
export async function* stagedTurns(levels: StateLevels): AsyncGenerator<Turn> {
  const frozen = await frozenTurnKeys(levels);
  for await (const [key, turn] of inShortReads(levels.turns)) if (!frozen.has(key)) yield turn;
}

// The keys of every frozen conversation's turns (outbox entries that keep turn keys, not messages).
async function frozenTurnKeys(levels: StateLevels): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const [, entry] of inShortReads(levels.outbox)) for (const key of entry.turnKeys ?? []) keys.add(key);
  return keys;
}
