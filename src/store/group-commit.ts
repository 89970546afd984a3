import type { State } from './state.js';

/** Adds one caller's operations to a batch. */
export type BatchWork = (batch: ReturnType<State['db']['batch']>) => void;

/**
 * Group commit: operations from concurrent callers that arrive while a write is in flight go out together in the
 * next one, so N deliveries finishing at once cost one LevelDB write, not N. Writes stay in order, one at a time;
 * each caller resolves once its own operations are durable (or rejects with the write's error).
 */
export class GroupCommit {
  private queued: { work: BatchWork; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private writing = false;

  constructor(private readonly state: State) {}

  /** Queues `work` for the next write and resolves once that write is done. */
  commit(work: BatchWork): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ work, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queued.length > 0) {
      const group = this.queued.splice(0);
      try {
        const batch = this.state.db.batch();
        for (const { work } of group) work(batch);
        await batch.write();
        for (const { resolve } of group) resolve();
      } catch (error) {
        for (const { reject } of group) reject(error);
      }
    }
    this.writing = false;
  }
}
