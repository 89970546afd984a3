import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';

/** A failure worth another attempt (network error, timeout, 408/425/429/5xx, a bad body); may carry Retry-After. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  constructor(message: string, readonly retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** How hard to retry. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 5 */
  readonly retries: number;
  /** Delay before the first retry; doubles each time, with jitter. @default 1000 */
  readonly minDelayMs: number;
  /** Longest delay between two attempts. @default 30000 */
  readonly maxDelayMs: number;
  /** Longest `Retry-After` honoured. @default 60000 */
  readonly retryAfterCapMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Told about each failed attempt that will be retried; `about` names what was asked (a page's offset). */
  readonly onRetry?: ((error: RetryableError, attempt: number, about?: { readonly offset?: number }) => void) | undefined;
}

/** Runs `attempt` until it succeeds, retrying only RetryableErrors with exponential backoff, jitter and Retry-After. */
export function withRetry<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  return pRetry(attempt, {
    retries: options.retries,
    minTimeout: options.minDelayMs,
    maxTimeout: options.maxDelayMs,
    factor: 2,
    randomize: true,
    signal: options.signal,
    shouldRetry: ({ error }) => error instanceof RetryableError,
    async onFailedAttempt({ error, attemptNumber, retriesLeft }) {
      if (!(error instanceof RetryableError) || retriesLeft === 0) return;
      options.onRetry?.(error, attemptNumber);
      if (error.retryAfterMs !== undefined && error.retryAfterMs > 0) {
        await sleep(Math.min(error.retryAfterMs, options.retryAfterCapMs), undefined, { signal: options.signal });
      }
    },
  });
}
