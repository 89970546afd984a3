import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { McError } from '../errors.js';
import type { RetryOptions } from '../http/retry.js';
import { logWebhookRetry } from './log-webhook-retry.js';
import { webhookSender, type SendWebhookBody } from './webhook-sender.js';

/**
 * The webhook sender the settings describe (DESIGN §3): `WEBHOOK_URL`, `WEBHOOK_SECRET`, the static headers of
 * `WEBHOOK_HEADERS_FILE`, `WEBHOOK_TIMEOUT` per attempt, `retry`, each retried attempt logged with its Idempotency-Key.
 * It sends any JSON body (conversations, retraction events). Throws MC_CONFIG when WEBHOOK_URL is missing.
 */
export function configuredSender(config: Pick<Config, 'webhookUrl' | 'webhookSecret' | 'webhookHeaders' | 'webhookTimeoutMs'>, retry: RetryOptions, version: string, log: Logger): SendWebhookBody {
  if (config.webhookUrl === undefined) throw new McError('MC_CONFIG', 'WEBHOOK_URL is missing; set WEBHOOK_URL or --webhook-url');
  return webhookSender({ url: config.webhookUrl, secret: config.webhookSecret, headers: config.webhookHeaders, timeoutMs: config.webhookTimeoutMs, retry, userAgent: `memory-cron/${version}`, onRetry: logWebhookRetry(log) });
}
