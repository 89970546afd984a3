import { parseTime } from '../source/normalise-record.js';
import type { Page } from '../source/page.js';
import type { State } from '../state/state.js';
import { deliver, type Breaker, type Delivered, type DeliverOptions } from './deliver.js';

/** How far a conversation's first turn must be newer than the oldest turn read (DESIGN §2): gap + 10 minutes. */
export const readAheadMarginMs = 10 * 60_000;

/** Pages staged between two delivery passes. */
const pagesPerPass = 50;

/**
 * Delivers while paging goes on (DESIGN §2): every `pagesPerPass` staged pages, one background pass sends the
 * closed conversations whose first turn is more than gap + 10 minutes newer than the oldest turn read so far — no
 * unread (older) page can extend those. Paging, the critical path, never waits for it; staging stays small.
 */
export class DeliverWhilePaging {
  private oldestReadMs = Number.POSITIVE_INFINITY;
  private pagesSincePass = 0;
  private pass: Promise<void> | undefined;
  private failure: unknown;
  private readonly delivered: Delivered = { sent: 0, resent: 0, dead: 0, parked: 0, open: 0, openTurns: 0, webhookDown: false };

  constructor(
    private readonly state: State,
    private readonly options: Omit<DeliverOptions, 'startsAfterMs' | 'breaker' | 'retryStatuses'>,
    /** Shared with the night's final pass. */
    readonly breaker: Breaker = { consecutiveFailures: 0, down: false },
  ) {}

  /** Told after each staged page: notes its oldest turn and starts a pass when one is due and none runs. */
  pageStaged(page: Page): void {
    for (const record of page.records) {
      const createdAt = parseTime((record as { createdAt?: unknown } | null)?.createdAt);
      if (createdAt !== undefined && createdAt < this.oldestReadMs) this.oldestReadMs = createdAt;
    }
    if (++this.pagesSincePass < pagesPerPass || this.pass !== undefined || this.failure !== undefined || this.breaker.down) return;
    this.pagesSincePass = 0;
    const startsAfterMs = this.oldestReadMs + this.options.gapMs + readAheadMarginMs;
    this.pass = deliver(this.state, { ...this.options, retryStatuses: [], startsAfterMs, breaker: this.breaker })
      .then((result) => this.add(result))
      .catch((error: unknown) => void (this.failure = error))
      .finally(() => (this.pass = undefined));
  }

  /** Waits for the pass under way (paging ended or failed); what the passes delivered, or their error. */
  async finish(): Promise<Delivered> {
    await this.pass;
    if (this.failure !== undefined) throw this.failure;
    return this.delivered;
  }

  private add(result: Delivered): void {
    this.delivered.sent += result.sent;
    this.delivered.resent += result.resent;
    this.delivered.dead += result.dead;
    this.delivered.parked += result.parked;
  }
}
