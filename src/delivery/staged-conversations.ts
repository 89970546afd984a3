import { rollingGap, type RollingGapOptions, type TurnRun } from '../conversations/rolling-gap.js';
import type { State } from '../store/state.js';

/**
 * The conversations the staged turns form (DESIGN §2): the rolling gap and the caps over the staged turns in key
 * order, frozen conversations' turns left out, each marked closed or open at `options.nowMs`. The one cut both the
 * night's plan (plan.ts) and the re-read's reach (lowest-open-chat.ts) are made from. Holds one conversation at a time.
 */
export function stagedConversations(state: State, options: RollingGapOptions): AsyncGenerator<TurnRun> {
  return rollingGap(state.stagedTurns(), options);
}
