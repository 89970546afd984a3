import type { RollingGapOptions, TurnRun } from '../conversations/rolling-gap.js';
import type { State } from '../store/state.js';
import { stagedConversations } from './staged-conversations.js';

/**
 * The lowest chat id among the turns of the staged conversations still **open** at `options.nowMs` (DESIGN §1: each
 * night re-reads "at least back to the first turn of every open conversation"), or undefined when none is open. The
 * conversations are cut as the night's plan cuts them (stagedConversations: the gap and the caps, frozen
 * conversations left out), so a part a cap closed is not open. Closed conversations waiting for delivery (a backlog
 * after an outage or a long first backfill) do not pull paging back: re-reading all of them every night would never end.
 */
export async function lowestOpenChatId(state: State, options: RollingGapOptions): Promise<number | undefined> {
  let lowest: number | undefined;
  for await (const run of stagedConversations(state, options)) lowest = lowestOpenChat(lowest, run);
  return lowest;
}

/** `lowest`, or the lowest chat id of `run` when it is open and holds a lower one. */
export function lowestOpenChat(lowest: number | undefined, run: TurnRun): number | undefined {
  if (run.closed) return lowest;
  for (const turn of run.turns) if (lowest === undefined || turn.id < lowest) lowest = turn.id;
  return lowest;
}
