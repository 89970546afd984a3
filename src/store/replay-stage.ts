import type { Turn } from '../domain/turn.js';
import { turnKey } from './keys.js';
import type { StateLevels } from './levels.js';

/** The copies a `--redeliver` replay keeps of `turns` (under their turn keys), in order; undefined where none is kept. */
export async function replayCopies(state: StateLevels, turns: readonly Turn[]): Promise<(Turn | undefined)[]> {
  if (turns.length === 0) return [];
  return state.replay.getMany(turns.map(turnKey));
}

/** Keeps `turns` for a `--redeliver` replay, each under its turn key (replacing the copy kept there), in one batch. */
export async function keepForReplay(state: StateLevels, turns: readonly Turn[]): Promise<void> {
  if (turns.length === 0) return;
  const replay = state.replay;
  const batch = replay.batch();
  for (const turn of turns) batch.put(turnKey(turn), turn);
  await batch.write();
}
