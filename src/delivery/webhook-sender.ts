import type { Conversation } from '../domain/conversation.js';
import { post } from '../http/post.js';
import { safeOrigin } from '../http/safe-url.js';
import { isRetryableStatus, parseRetryAfter } from '../http/response-class.js';
import { RetryableError, withRetry, type RetryOptions } from '../http/retry.js';
import { signatureHeaders } from './signature.js';

/** Where and how conversations are POSTed (DESIGN §3). */
export interface WebhookOptions {
  readonly url: string;
  /** Standard Webhooks secret; unsigned when undefined. */
  readonly secret?: string | undefined;
  /** Per-attempt timeout. @default 30000 */
  readonly timeoutMs: number;
  readonly retry: RetryOptions;
  readonly userAgent: string;
  /** Told about each failed attempt that will be retried, with the conversation's Idempotency-Key. */
  readonly onRetry?: (error: RetryableError, attempt: number, idempotencyKey: string) => void;
}

/** How one delivery ended. */
export type DeliveryOutcome =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly permanent: boolean; readonly error: string };

/** A 4xx the webhook will answer again however often we retry. */
class PermanentRefusal extends Error {}

/** Sends one conversation, retrying what DESIGN §3 retries; never throws for an HTTP or network failure. */
export type SendConversation = (conversation: Conversation, idempotencyKey: string) => Promise<DeliveryOutcome>;

/** Sends one webhook body of any type (a conversation, a retraction), as SendConversation does. */
export type SendBody = (body: object, idempotencyKey: string) => Promise<DeliveryOutcome>;

/** A SendConversation that POSTs to the webhook with Idempotency-Key, optional signature and p-retry. */
export function webhookSender(options: WebhookOptions): SendBody {
  const shownAs = safeOrigin(options.url); // its path may be the webhook's token (n8n, Zapier): never in a message
  return async (event, idempotencyKey) => {
    const body = JSON.stringify(event);
    try {
      const status = await withRetry(async () => {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'user-agent': options.userAgent,
          'idempotency-key': idempotencyKey,
          'webhook-id': idempotencyKey,
          ...(options.secret === undefined ? {} : signatureHeaders(idempotencyKey, body, options.secret, Math.floor(Date.now() / 1000))),
        };
        const reply = await post(options.url, body, headers, { timeoutMs: options.timeoutMs, signal: options.retry.signal, shownAs });
        if (reply.status >= 200 && reply.status < 300) return reply.status;
        const what = `HTTP ${reply.status}${reply.text === '' ? '' : `: ${reply.text.slice(0, 200).replace(/\s+/g, ' ')}`}`;
        if (isRetryableStatus(reply.status)) throw new RetryableError(what, parseRetryAfter(reply.headers.get('retry-after'), Date.now()));
        throw new PermanentRefusal(what);
      }, options.onRetry === undefined ? options.retry : { ...options.retry, onRetry: (error, attempt) => options.onRetry?.(error, attempt, idempotencyKey) });
      return { ok: true, status };
    } catch (error) {
      if (options.retry.signal?.aborted) throw error;
      if (error instanceof PermanentRefusal) return { ok: false, permanent: true, error: error.message };
      if (error instanceof RetryableError) return { ok: false, permanent: false, error: error.message };
      throw error;
    }
  };
}
