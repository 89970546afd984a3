import type { Turn } from '../domain/turn.js';
import type { StateLevels } from './levels.js';
import { inShortReads } from './short-reads.js';

/**
 * The chats a `--redeliver` replay regroups (the `replay` sublevel, written by replay-stage.ts), in turn-key order —
 * by chat history, then `createdAt`, then id — streamed without holding a snapshot while the replay writes.
 */
export async function* replayTurns(levels: StateLevels): AsyncGenerator<Turn> {
  for await (const [, turn] of inShortReads(levels.replay)) yield turn;
}

/** Empties the replay's chats: once the replay is done, and before paging (what an interrupted replay left). */
export async function clearReplay(levels: StateLevels): Promise<void> {
  await levels.replay.clear();
}
