import type { Logger } from 'pino';
import type { RetryableError } from '../http/retry.js';

/**
 * Logs a webhook attempt that will be retried (DESIGN §3 "Slow receivers"): a timed-out attempt may have been
 * processed by the receiver, so the line says the retry carries the same Idempotency-Key to deduplicate on.
 */
export function logWebhookRetry(log: Logger): (error: RetryableError, attempt: number, idempotencyKey: string) => void {
  return (error, attempt, idempotencyKey) => {
    const timedOut = (error.cause as { code?: unknown } | undefined)?.code === 'ETIMEDOUT';
    const message = timedOut
      ? 'webhook gave no reply within WEBHOOK_TIMEOUT: the conversation may have been processed; resent with the same Idempotency-Key'
      : 'webhook POST failed; retrying with the same Idempotency-Key';
    log.warn({ attempt, idempotencyKey, reason: error.message, retryAfterMs: error.retryAfterMs }, message);
  };
}
