import type { Config } from '../config.js';
import type { RetryOptions } from '../http/retry.js';

/**
 * The one retry policy of the source and the webhook (DESIGN §1, §3), from `RETRIES`, `RETRY_MIN_DELAY` and
 * `RETRY_AFTER_CAP`: exponential backoff with jitter from the first delay up to 30 s between attempts, honouring
 * `Retry-After` up to its cap, stopped by `signal`.
 */
export function retryPolicy(config: Pick<Config, 'retries' | 'retryMinMs' | 'retryAfterCapMs'>, signal: AbortSignal, onRetry?: RetryOptions['onRetry']): RetryOptions {
  return {
    retries: config.retries,
    minDelayMs: config.retryMinMs,
    maxDelayMs: Math.max(config.retryMinMs, 30_000),
    retryAfterCapMs: config.retryAfterCapMs,
    signal,
    ...(onRetry === undefined ? {} : { onRetry }),
  };
}
