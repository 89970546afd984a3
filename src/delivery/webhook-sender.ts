import { headerSecrets, type WebhookHeaders } from '../config/webhook-headers.js';
import type { Conversation } from '../domain/conversation.js';
import { networkCode, post } from '../http/post.js';
import { isRedirect, redirectText } from '../http/redirect.js';
import { safeOrigin } from '../http/safe-url.js';
import { isRetryableStatus, parseRetryAfter } from '../http/response-class.js';
import { RetryableError, withRetry, type RetryOptions } from '../http/retry.js';
import { signatureHeaders } from './signature.js';

/** Where and how webhook bodies are POSTed (DESIGN §3). */
export interface WebhookOptions {
  readonly url: string;
  /** Standard Webhooks secret; unsigned when undefined. */
  readonly secret?: string | undefined;
  /** Static headers sent with every attempt (WEBHOOK_HEADERS_FILE), checked by config/webhook-headers.ts. @default {} */
  readonly headers?: WebhookHeaders | undefined;
  /** Per-attempt timeout (ms): HTTP_TIMEOUT, a required option (config.ts gives its 30 s default). */
  readonly timeoutMs: number;
  readonly retry: RetryOptions;
  readonly userAgent: string;
  /** Told about each failed attempt that will be retried, with the body's Idempotency-Key. */
  readonly onRetry?: (error: RetryableError, attempt: number, idempotencyKey: string) => void;
}

/**
 * How one delivery ended, after `attempts` POSTs (absent: 1). A failure is `permanent` (parked: a 4xx, or a redirect, which is
 * `redirected`), or not (a dead letter: retries ran out), or `unreachable`: the webhook refused the connection or its
 * host did not resolve before it had answered anything this run — nothing to mark, the body waits for the next run.
 */
export type DeliveryOutcome =
  | { readonly ok: true; readonly status: number; readonly attempts?: number }
  | { readonly ok: false; readonly permanent: boolean; readonly error: string; readonly attempts?: number; readonly redirected?: boolean; readonly unreachable?: boolean };

/** Sends one JSON body (a conversation, a retraction event) under its Idempotency-Key, retrying what DESIGN §3 retries; never throws for an HTTP or network failure. */
export type SendWebhookBody<T extends object = object> = (body: T, idempotencyKey: string) => Promise<DeliveryOutcome>;

/** Sends one conversation (a SendWebhookBody of conversations). */
export type SendConversation = SendWebhookBody<Conversation>;

/** Network codes that mean nothing listens at the webhook's address, or its host has none (DESIGN §3). */
const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND']);

/** What a 407 means: the proxy between the job and the webhook wants other credentials. */
const proxyRefused = 'HTTP 407 from the proxy: it refused its credentials; check the user and password in HTTPS_PROXY or HTTP_PROXY (http://user:pass@proxy:3128)';

/** A 4xx or a redirect the webhook will answer again however often we retry. */
class PermanentRefusal extends Error {
  constructor(message: string, readonly redirected: boolean) {
    super(message);
  }
}

/** Nothing listens at the webhook (refused, unknown host) and it has answered nothing yet: not retried. */
class Unreachable extends Error {}

/**
 * A SendWebhookBody that POSTs to the webhook with Idempotency-Key, the static headers, an optional signature (fresh
 * on every attempt) and p-retry. A 3xx is never followed: parked as `HTTP 308 to <Location>: set WEBHOOK_URL to it`.
 * Until the webhook has answered once (any status), a refused connection or an unknown host is `unreachable` at once,
 * without retries; afterwards it is retried like any network error.
 */
export function webhookSender(options: WebhookOptions): SendWebhookBody {
  const target = new URL(options.url);
  const shownAs = safeOrigin(target); // its path may be the webhook's token (n8n, Zapier): never in a message
  let answered = false;
  // A receiver may echo the request's headers in an error body; that text is kept as the last error (the outbox,
  // status.json), where no log scrubber reaches: the header values and the secret are taken out of it first.
  const secrets = [...headerSecrets(options.headers ?? {}), ...(options.secret === undefined ? [] : [options.secret])].sort((a, b) => b.length - a.length);
  const redact = (text: string) => secrets.reduce((clean, secret) => clean.split(secret).join('[redacted]'), text);
  return async (event, idempotencyKey) => {
    const body = JSON.stringify(event);
    let attempts = 0;
    try {
      const status = await withRetry(async () => {
        attempts++;
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'user-agent': options.userAgent,
          ...options.headers,
          'idempotency-key': idempotencyKey,
          'webhook-id': idempotencyKey,
          ...(options.secret === undefined ? {} : signatureHeaders(idempotencyKey, body, options.secret, Math.floor(Date.now() / 1000))),
        };
        const reply = await post(options.url, body, headers, { timeoutMs: options.timeoutMs, signal: options.retry.signal, shownAs }).catch((error: unknown) => {
          throw !answered && unreachableCodes.has(networkCode(error) ?? '') ? new Unreachable((error as Error).message, { cause: error }) : error;
        });
        answered = true;
        if (reply.status >= 200 && reply.status < 300) return reply.status;
        if (isRedirect(reply.status)) throw new PermanentRefusal(redirectText(reply.status, reply.headers.get('location'), target), true);
        const what = reply.status === 407 ? proxyRefused : `HTTP ${reply.status}${reply.text === '' ? '' : `: ${redact(reply.text).slice(0, 200).replace(/\s+/g, ' ')}`}`;
        if (isRetryableStatus(reply.status)) throw new RetryableError(what, parseRetryAfter(reply.headers.get('retry-after'), Date.now()));
        throw new PermanentRefusal(what, false);
      }, options.onRetry === undefined ? options.retry : { ...options.retry, onRetry: (error, attempt) => options.onRetry?.(error, attempt, idempotencyKey) });
      return { ok: true, status, attempts };
    } catch (error) {
      if (options.retry.signal?.aborted) throw error;
      if (error instanceof PermanentRefusal) return { ok: false, permanent: true, error: error.message, attempts, ...(error.redirected ? { redirected: true } : {}) };
      if (error instanceof Unreachable) return { ok: false, permanent: false, error: error.message, attempts, unreachable: true };
      if (error instanceof RetryableError) return { ok: false, permanent: false, error: error.message, attempts };
      throw error;
    }
  };
}
