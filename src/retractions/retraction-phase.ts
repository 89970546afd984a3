import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { SendWebhookBody } from '../delivery/webhook-sender.js';
import type { RetryOptions } from '../http/retry.js';
import type { State } from '../store/state.js';
import { deliverRetractions } from './deliver-retractions.js';
import { retractionSender } from './retraction-sender.js';
import type { DeliveryCounts, RetractionCounts } from '../domain/night-counts.js';

/** What the night's retraction phase needs besides the state and the settings. */
export interface RetractionPhaseOptions {
  /** How the conversations' delivery went: a webhook taken to be down holds retractions to the same URL back. */
  readonly delivered: Pick<DeliveryCounts, 'webhookDown'>;
  readonly retry: RetryOptions;
  readonly version: string;
  /** Replaces the webhook (tests, `--dry-run`: the bodies are printed). */
  readonly send?: SendWebhookBody | undefined;
  readonly log: Logger;
}

/**
 * The night's retractions (DESIGN §3b), after its conversations: null when RETRACT_WEBHOOK_URL is unset (changes to
 * sent chats are only counted); else the changes found are frozen and the retraction outbox delivered — not while
 * the conversations took the same URL to be down (the retractions wait for the next run).
 */
export async function retractionPhase(state: State, config: Config, options: RetractionPhaseOptions): Promise<RetractionCounts | null> {
  const send = options.send ?? retractionSender(config, options.retry, options.version, options.log);
  if (send === undefined || config.retractWebhookUrl === undefined) return null;
  const held = options.delivered.webhookDown && config.retractWebhookUrl === config.webhookUrl;
  return deliverRetractions(state, { send, concurrency: config.concurrency, held, log: options.log });
}
