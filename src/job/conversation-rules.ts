import type { Config } from '../config.js';
import type { RollingGapOptions } from '../conversations/rolling-gap.js';

/**
 * The rules that cut chat histories into conversations as configured (DESIGN §2: the gap, the caps, reasoning kept or
 * not, which the byte cap measures), judged open or closed at `nowMs` (ms since the epoch).
 */
export function conversationRules(config: Pick<Config, 'gapMs' | 'maxSpanMs' | 'maxBytes' | 'keepReasoning'>, nowMs: number): RollingGapOptions {
  return { gapMs: config.gapMs, maxSpanMs: config.maxSpanMs, maxBytes: config.maxBytes, keepReasoning: config.keepReasoning, nowMs };
}
