import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { logWebhookRetry } from '../delivery/log-webhook-retry.js';
import { webhookSender, type SendBody } from '../delivery/webhook-sender.js';
import type { RetryOptions } from '../http/retry.js';

/**
 * The sender of retractions (DESIGN §3b): the conversations' webhook sender pointed at RETRACT_WEBHOOK_URL, with the
 * same secret, per-attempt timeout and retries; undefined when RETRACT_WEBHOOK_URL is unset (changes only counted).
 */
export function retractionSender(config: Pick<Config, 'retractWebhookUrl' | 'webhookSecret' | 'webhookTimeoutMs'>, retry: RetryOptions, version: string, log: Logger): SendBody | undefined {
  if (config.retractWebhookUrl === undefined) return undefined;
  return webhookSender({ url: config.retractWebhookUrl, secret: config.webhookSecret, timeoutMs: config.webhookTimeoutMs, retry, userAgent: `memory-cron/${version}`, onRetry: logWebhookRetry(log) });
}
