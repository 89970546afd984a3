import type { HealthcheckConfig } from '../config/monitoring-settings.js';

/** A run's moments a dead man's switch hears about. */
export type PingEvent = 'start' | 'success' | 'fail';

/** One ping to send. */
export interface PingRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly body: string | undefined;
}

// Cronitor keeps 2,000 characters of a message; Uptime Kuma shows a short one. Healthchecks keeps 100 kB of a body.
const messageLimit = 1_000;

/**
 * The request that tells `healthcheck` about `event` (docs/monitoring.md), or undefined when its convention has no
 * such ping (Uptime Kuma has no start). Pure: the URL is copied, never changed.
 *  - healthchecks: POST URL/start, URL (the summary line as body), URL/fail (the error line as body)
 *  - cronitor:     GET URL?state=run, ?state=complete&message=…, ?state=fail&message=…
 *  - uptime-kuma:  GET URL?status=up&msg=… on success, ?status=down&msg=… on failure
 */
export function pingRequest(healthcheck: HealthcheckConfig, event: PingEvent, line: string): PingRequest | undefined {
  const url = new URL(healthcheck.url.href);
  switch (healthcheck.kind) {
    case 'healthchecks': {
      if (event !== 'success') url.pathname = `${url.pathname.replace(/\/+$/, '')}/${event}`;
      return { method: 'POST', url, body: event === 'start' ? '' : line };
    }
    case 'cronitor': {
      url.searchParams.set('state', event === 'start' ? 'run' : event === 'success' ? 'complete' : 'fail');
      if (event !== 'start') url.searchParams.set('message', line.slice(0, messageLimit));
      return { method: 'GET', url, body: undefined };
    }
    case 'uptime-kuma': {
      if (event === 'start') return undefined;
      url.searchParams.set('status', event === 'success' ? 'up' : 'down');
      url.searchParams.set('msg', line.slice(0, messageLimit));
      url.searchParams.delete('ping');
      return { method: 'GET', url, body: undefined };
    }
  }
}
