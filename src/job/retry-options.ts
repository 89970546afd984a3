import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { retryPolicy } from '../config/retry-policy.js';
import type { RetryOptions } from '../http/retry.js';

/** The retry policy of a run's source reads (DESIGN §1), logging each retried page with its offset; `signal` stops them. */
export function retryOptions(config: Config, context: { readonly signal: AbortSignal }, log: Logger): RetryOptions {
  return retryPolicy(config, context.signal, (error, attempt, about) => log.warn({ attempt, offset: about?.offset, reason: error.message, retryAfterMs: error.retryAfterMs }, 'reading a page of AnythingLLM failed; retrying'));
}
