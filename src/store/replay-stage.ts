import type { Turn } from '../domain/turn.js';
import { turnKey } from './keys.js';
import type { State } from './state.js';

/** Which records a `--redeliver` run keeps for regrouping. */
export interface ReplayStageOptions {
  /** `--backfill` (ms): chats created earlier are not replayed. */
  readonly sinceMs: number;
  readonly includeHidden: boolean;
}

/**
 * Keeps every visible turn of a page (validated by the source: normalisePage) created at or after `sinceMs` in the replay sublevel, whatever its
 * per-chat mark says (DESIGN §5: regroup "as if none had been sent"); a copy seen twice keeps the newer one.
 * Returns how many turns it wrote.
 */
export async function stageReplay(state: State, pageTurns: readonly Turn[], options: ReplayStageOptions): Promise<number> {
  const turns = pageTurns.filter((turn) => turn.createdAt >= options.sinceMs && (turn.include || options.includeHidden));
  if (turns.length === 0) return 0;
  const keys = turns.map(turnKey);
  const known = await state.replay.getMany(keys);
  const batch = state.replay.batch();
  let written = 0;
  turns.forEach((turn, i) => {
    const before = known[i];
    if (before !== undefined && before.updatedAt >= turn.updatedAt) return;
    batch.put(keys[i] as string, turn);
    written++;
  });
  await batch.write();
  return written;
}
