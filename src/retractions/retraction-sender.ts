import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { configuredSender } from '../delivery/configured-sender.js';
import type { SendWebhookBody } from '../delivery/webhook-sender.js';
import type { RetryOptions } from '../http/retry.js';

/**
 * The sender of retractions (DESIGN §3b): the conversations' sender (configuredSender) pointed at RETRACT_WEBHOOK_URL,
 * with the same secret, static headers, per-attempt timeout and retries; undefined when RETRACT_WEBHOOK_URL is unset
 * (changes are then only counted).
 */
export function retractionSender(config: Pick<Config, 'retractWebhookUrl' | 'webhookSecret' | 'webhookHeaders' | 'webhookTimeoutMs'>, retry: RetryOptions, version: string, log: Logger): SendWebhookBody | undefined {
  if (config.retractWebhookUrl === undefined) return undefined;
  return configuredSender({ ...config, webhookUrl: config.retractWebhookUrl }, retry, version, log);
}
