import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { WebhookHeaders } from '../config/webhook-headers.js';
import { McError } from '../errors.js';
import { routeFor, shownProxy } from '../http/agent-for.js';
import { isRedirect, redirectText } from '../http/redirect.js';
import { safeOrigin } from '../http/safe-url.js';

/** What a probe of WEBHOOK_URL (or RETRACT_WEBHOOK_URL) found: the status of whatever answered. */
export interface WebhookProbe {
  readonly status: number;
}

/**
 * Sends WEBHOOK_URL a HEAD (no body: nothing is delivered) with the static headers (WEBHOOK_HEADERS_FILE), through the
 * proxy the environment names for it (http/agent-for.ts), and resolves with the status of any HTTP answer, even a 404
 * or 405: something listens. Rejects with MC_WEBHOOK_UNREACHABLE when nothing answers (refused, unknown host, no
 * answer within `timeoutMs`), and with MC_WEBHOOK_REDIRECTED for a 3xx, in the words a parked conversation has
 * (`HTTP 308 to <Location>: set WEBHOOK_URL to it`, http/redirect.ts): deliveries never follow one. Messages name only
 * the URL's origin: its path may hold a token. node:http, as deliveries use (fetch refuses some ports deliveries would reach).
 */
export function probeWebhook(webhookUrl: string, timeoutMs: number, signal?: AbortSignal, headers: WebhookHeaders = {}, setting: 'WEBHOOK_URL' | 'RETRACT_WEBHOOK_URL' = 'WEBHOOK_URL'): Promise<WebhookProbe> {
  const url = new URL(webhookUrl);
  const where = safeOrigin(url);
  const route = routeFor(url);
  const via = route.proxy === undefined ? '' : ` through the proxy ${shownProxy(route.proxy)}`;
  const unreachable = (reason: string) =>
    new McError('MC_WEBHOOK_UNREACHABLE', `nothing answers at ${setting} ${where}${via} (${reason}): is the memory webhook running, and is the URL right? A night would fail every delivery`, { details: { webhook: where, reason } });
  return new Promise<WebhookProbe>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'HEAD', ...route.options, headers: { ...headers }, timeout: timeoutMs, ...(signal === undefined ? {} : { signal }) }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      if (isRedirect(status)) {
        const redirect = redirectText(status, response.headers.location ?? null, url);
        reject(new McError('MC_WEBHOOK_REDIRECTED', `WEBHOOK_URL ${where} answered a HEAD with ${redirect}; deliveries never follow a redirect (a POST would become a GET, and the signature would travel elsewhere), so a night would park every conversation`, { details: { webhook: where, status } }));
      } else resolve({ status });
      request.destroy();
    });
    request.on('timeout', () => request.destroy(unreachable(`no answer within ${timeoutMs / 1000} s`)));
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (signal?.aborted) reject(signal.reason);
      else reject(error instanceof McError ? error : unreachable(error.code ?? error.message));
    });
    request.end();
  });
}
