import type { Root } from './levels.js';

// Adds one caller's operations to a batch.
type BatchWork = (batch: ReturnType<Root['batch']>) => void;

/**
 * Group commit: operations from concurrent callers that arrive while a write is in flight go out together in the
 * next one, so N deliveries finishing at once cost one LevelDB write, not N. Writes stay in order, one at a time;
 * each caller resolves once its own operations are durable (or rejects with the write's error).
 */
class GroupCommit {
  private queued: { work: BatchWork; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private writing = false;

  constructor(private readonly db: Root) {}

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
        const batch = this.db.batch();
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

const commits = new WeakMap<Root, GroupCommit>();

/** The one GroupCommit of the state database `db`: every write of the outbox goes through it, whoever calls. */
export function groupCommitOf(db: Root): GroupCommit {
  let found = commits.get(db);
  if (found === undefined) commits.set(db, (found = new GroupCommit(db)));
  return found;
}
