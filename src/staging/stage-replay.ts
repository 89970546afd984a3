import type { Turn } from '../domain/turn.js';
import type { State } from '../store/state.js';

/** Which records a `--redeliver` run keeps for regrouping. */
export interface ReplayStageOptions {
  /** `--backfill` (ms): chats created earlier are not replayed. */
  readonly sinceMs: number;
  readonly includeHidden: boolean;
}

/**
 * Keeps every visible turn of a page (validated by the source: normalisePage) created at or after `sinceMs` for the
 * replay, whatever its per-chat mark says (DESIGN §5: regroup "as if none had been sent"); a copy seen twice keeps
 * the newer `lastUpdatedAt` (an equal one keeps the first). Returns how many turns it wrote.
 */
export async function stageReplay(state: State, pageTurns: readonly Turn[], options: ReplayStageOptions): Promise<number> {
  const turns = pageTurns.filter((turn) => turn.createdAt >= options.sinceMs && (turn.include || options.includeHidden));
  const kept = await state.replayCopies(turns);
  const newer = turns.filter((turn, i) => {
    const before = kept[i];
    return before === undefined || before.updatedAt < turn.updatedAt;
  });
  await state.keepForReplay(newer);
  return newer.length;
}
