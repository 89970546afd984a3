import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { RetryOptions } from '../http/retry.js';

/** The retry settings shared by the source and the webhook (DESIGN §1, §3), logging each retry; `signal` stops them. */
export function retryOptions(config: Config, context: { readonly signal: AbortSignal }, log: Logger): RetryOptions {
  return {
    retries: config.retries,
    minDelayMs: config.retryMinMs,
    maxDelayMs: Math.max(config.retryMinMs, 30_000),
    retryAfterCapMs: config.retryAfterCapMs,
    signal: context.signal,
    onRetry: (error, attempt) => log.warn({ attempt, reason: error.message, retryAfterMs: error.retryAfterMs }, 'request failed; retrying'),
  };
}
