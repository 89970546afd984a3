import { normaliseRecord } from '../source/normalise-record.js';
import type { Turn } from '../domain/turn.js';
import { turnKey } from './keys.js';
import type { State } from './state.js';

/** Which records a `--redeliver` run keeps for regrouping. */
export interface ReplayStageOptions {
  /** `--backfill` (ms): chats created earlier are not replayed. */
  readonly sinceMs: number;
  readonly includeHidden: boolean;
  /** The real clock, for the "more than a day in the future" check. */
  readonly realNowMs: number;
}

/**
 * Keeps every valid, visible chat of a page created at or after `sinceMs` in the replay sublevel, whatever its
 * per-chat mark says (DESIGN §5: regroup "as if none had been sent"); a copy seen twice keeps the newer one.
 * Returns how many turns it wrote.
 */
export async function stageReplay(state: State, records: readonly unknown[], options: ReplayStageOptions): Promise<number> {
  const turns: Turn[] = [];
  for (const raw of records) {
    const result = normaliseRecord(raw, options.realNowMs);
    if (result.kind !== 'turn' || result.turn.createdAt < options.sinceMs) continue;
    if (result.turn.include || options.includeHidden) turns.push(result.turn);
  }
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
