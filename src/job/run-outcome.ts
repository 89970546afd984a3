import { McError } from '../errors.js';
import type { Delivered } from '../delivery/deliver.js';

/** The error a finished delivery exits with (DESIGN §5: 6 for new dead letters or a webhook taken to be down), or undefined for exit 0. */
export function deliveryProblem(conversations: Delivered): McError | undefined {
  if (conversations.webhookDown) {
    return new McError('MC_WEBHOOK_DOWN', `the webhook failed ${conversations.dead + conversations.parked} deliveries in a row and was taken to be down; the rest waits in the outbox for the next run`);
  }
  if (conversations.dead + conversations.parked > 0) {
    return new McError('MC_DEAD_LETTERS', `${conversations.dead} dead letters and ${conversations.parked} parked conversations left by this run; see \`memory-cron dead-letters\``);
  }
  return undefined;
}
