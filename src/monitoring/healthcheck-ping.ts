import type { Logger } from 'pino';
import type { HealthcheckConfig } from '../config/monitoring-settings.js';
import { pingRequest, type PingEvent } from './ping-request.js';
import { safeOrigin } from '../http/safe-url.js';

/**
 * Sends one dead man's switch ping; never throws. A ping that fails (no answer within the timeout, a network error,
 * a non-2xx) is one warning naming only the URL's origin, since the rest of a ping URL is a token.
 */
export async function sendPing(healthcheck: HealthcheckConfig, event: PingEvent, line: string, log: Logger): Promise<boolean> {
  const request = pingRequest(healthcheck, event, line);
  if (request === undefined) return true;
  const where = safeOrigin(healthcheck.url);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      ...(request.body === undefined ? {} : { body: request.body, headers: { 'content-type': 'text/plain; charset=utf-8' } }),
      redirect: 'follow',
      signal: AbortSignal.timeout(healthcheck.timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) {
      log.warn({ healthcheck: where, event, status: response.status }, `healthcheck ping "${event}" to ${where} answered ${response.status}; the run goes on as it would without it`);
      return false;
    }
    log.debug({ healthcheck: where, event }, `healthcheck ping "${event}" sent`);
    return true;
  } catch (error) {
    const reason = (error as Error)?.name === 'TimeoutError' ? `no answer within ${healthcheck.timeoutMs / 1000} s` : causeText(error);
    log.warn({ healthcheck: where, event }, `healthcheck ping "${event}" to ${where} failed (${reason}); the run goes on as it would without it`);
    return false;
  }
}

// fetch's "fetch failed" hides the useful part (ECONNREFUSED, ENOTFOUND) in its cause; never the URL.
function causeText(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return (error as Error)?.name ?? 'error';
}
