import { setTimeout as timersSleep } from 'node:timers/promises';
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
  /** Retries after the first attempt (RETRIES; config.ts's default 7). */
  readonly retries: number;
  /** Delay before the first retry (ms, RETRY_MIN_DELAY; default 250); doubles each time, with jitter. */
  readonly minDelayMs: number;
  /** Longest delay between two attempts (ms; retry-policy.ts: 30 s, or the first delay when longer). */
  readonly maxDelayMs: number;
  /** Longest `Retry-After` honoured (ms, RETRY_AFTER_CAP; default 60 s). */
  readonly retryAfterCapMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Told about each failed attempt that will be retried; `about` names what was asked (a page's offset). */
  readonly onRetry?: ((error: RetryableError, attempt: number, about?: { readonly offset?: number }) => void) | undefined;
  /** Waits `ms` before the next attempt, rejecting when `signal` aborts (tests record the waits). @default node:timers/promises setTimeout */
  readonly sleep?: ((ms: number, signal: AbortSignal | undefined) => Promise<void>) | undefined;
  /** A number in [0, 1) for the jitter. @default Math.random */
  readonly random?: (() => number) | undefined;
}

/** The largest jitter added to a `Retry-After` wait, as a share of it: concurrent retries do not arrive at once. */
export const retryAfterJitter = 0.1;

/**
 * Runs `attempt` until it succeeds, retrying only RetryableErrors (p-retry), at most `retries` times (DESIGN §3
 * "Retry"). The wait before a retry is the failed attempt's `Retry-After` when it carries one — capped at
 * `retryAfterCapMs`, plus at most 10% jitter, never less — and replaces the backoff; otherwise exponential backoff:
 * `minDelayMs` × 2^(n−1) × a random factor in [1, 2), at most `maxDelayMs`. p-retry's own delay is off (0), so the
 * one wait is this one, requested of `sleep`.
 */
export function withRetry<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  return pRetry(attempt, {
    retries: options.retries,
    minTimeout: 0,
    maxTimeout: 0,
    signal: options.signal,
    shouldRetry: ({ error }) => error instanceof RetryableError,
    async onFailedAttempt({ error, attemptNumber, retriesLeft }) {
      if (!(error instanceof RetryableError) || retriesLeft === 0) return;
      options.onRetry?.(error, attemptNumber);
      await sleep(retryDelay(error, attemptNumber, options, random), options.signal);
    },
  });
}

/** The wait after failed attempt `attemptNumber` (1 = the first): its Retry-After with jitter, or the backoff. */
function retryDelay(error: RetryableError, attemptNumber: number, options: Pick<RetryOptions, 'minDelayMs' | 'maxDelayMs' | 'retryAfterCapMs'>, random: () => number): number {
  if (error.retryAfterMs !== undefined) {
    const asked = Math.min(Math.max(0, error.retryAfterMs), options.retryAfterCapMs);
    return Math.round(asked * (1 + retryAfterJitter * random()));
  }
  return Math.min(Math.round(options.minDelayMs * 2 ** (attemptNumber - 1) * (1 + random())), options.maxDelayMs);
}

// Waits `ms`; an abort rejects with the signal's reason (the McError the run exits with), as p-retry's own wait does.
async function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await timersSleep(ms, undefined, { signal });
  } catch (error) {
    throw signal?.aborted === true ? signal.reason : error;
  }
}
