import { frozenTurnKeys } from '../store/outbox.js';
import type { State } from '../store/state.js';

/**
 * The lowest chat id among the turns of the staged conversations still **open** at `nowMs` (DESIGN §1: each night
 * re-reads "at least back to the first turn of every open conversation"), or undefined when none is open. Reads
 * keys only (a turn key is history, createdAt, id: keys.ts) and cuts them by the rolling gap as the night will
 * (DESIGN §2); frozen conversations' turns are left out. Closed conversations waiting for delivery (a backlog after
 * an outage or a long first backfill) do not pull paging back: re-reading all of them every night would never end.
 */
export async function lowestOpenChatId(state: State, options: { readonly gapMs: number; readonly nowMs: number }): Promise<number | undefined> {
  const frozen = await frozenTurnKeys(state);
  let lowest: number | undefined;
  let history: string | undefined;
  let runLowest = Number.POSITIVE_INFINITY;
  let runLast = Number.NEGATIVE_INFINITY;
  const endRun = (): void => {
    if (history !== undefined && options.nowMs - runLast <= options.gapMs && runLowest < (lowest ?? Number.POSITIVE_INFINITY)) lowest = runLowest;
  };
  for await (const key of state.turns.keys()) {
    if (frozen.has(key)) continue;
    const idAt = key.lastIndexOf(':');
    const timeAt = key.lastIndexOf(':', idAt - 1);
    const keyHistory = key.slice(0, timeAt);
    const createdAt = Number(key.slice(timeAt + 1, idAt));
    const id = Number(key.slice(idAt + 1));
    if (keyHistory !== history || createdAt - runLast > options.gapMs) {
      endRun();
      [history, runLowest] = [keyHistory, Number.POSITIVE_INFINITY];
    }
    runLast = createdAt;
    runLowest = Math.min(runLowest, id);
  }
  endRun();
  return lowest;
}
