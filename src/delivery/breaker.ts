import { webhookDownAfter } from '../domain/night-counts.js';

/** Counts failed deliveries in a row; once `webhookDownAfter` is reached the webhook is taken to be down for the run. */
export class Breaker {
  consecutiveFailures = 0;
  down = false;

  /** A 2xx: the count starts again. */
  succeeded(): void {
    this.consecutiveFailures = 0;
  }

  /** A dead or parked conversation; true when this failure took the webhook to be down. */
  failed(): boolean {
    if (++this.consecutiveFailures < webhookDownAfter || this.down) return false;
    this.down = true;
    return true;
  }
}
