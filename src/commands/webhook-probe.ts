import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { McError } from '../errors.js';
import { safeOrigin } from '../http/safe-url.js';

/** What a probe of WEBHOOK_URL (or RETRACT_WEBHOOK_URL) found: the status of whatever answered. */
export interface WebhookProbe {
  readonly status: number;
}

/**
 * Sends WEBHOOK_URL a HEAD (no body: nothing is delivered) and resolves with the status of any HTTP answer, even a
 * 404 or 405: something listens. Rejects with MC_WEBHOOK_UNREACHABLE when nothing answers (refused, unknown host,
 * no answer within `timeoutMs`), naming only the URL's origin: its path may hold a token. node:http, as deliveries
 * use (fetch refuses some ports deliveries would reach).
 */
export function probeWebhook(webhookUrl: string, timeoutMs: number, signal?: AbortSignal, setting: 'WEBHOOK_URL' | 'RETRACT_WEBHOOK_URL' = 'WEBHOOK_URL'): Promise<WebhookProbe> {
  const url = new URL(webhookUrl);
  const where = safeOrigin(url);
  const unreachable = (reason: string) =>
    new McError('MC_WEBHOOK_UNREACHABLE', `nothing answers at ${setting} ${where} (${reason}): is the memory webhook running, and is the URL right? A night would fail every delivery`, { details: { webhook: where, reason } });
  return new Promise<WebhookProbe>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'HEAD', timeout: timeoutMs, ...(signal === undefined ? {} : { signal }) }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
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
