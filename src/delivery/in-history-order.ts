/** What `inHistoryOrder` runs: items in delivery order, the history each belongs to, and the work for one. */
export interface HistoryOrderOptions<T> {
  readonly concurrency: number;
  readonly historyOf: (item: T) => string;
  /** Checked before each start: once true, nothing more starts (what runs finishes). @default never */
  readonly shouldStop?: () => boolean;
  /** Items read ahead of the first one not started, at most. @default 256 */
  readonly lookahead?: number;
}

/**
 * Runs `work` over `items` (already in delivery order: oldest first) with at most `concurrency` in flight and never
 * two items of one history at once: an item starts only once the one before it in its history has finished, and
 * among those free to start the earliest goes first (DESIGN §3 "Order"). Reads at most `lookahead` items ahead, so
 * memory stays flat however long the plan. Rejects with the first error `work` throws, after what runs has settled.
 */
export async function inHistoryOrder<T>(items: AsyncIterable<T>, work: (item: T) => Promise<void>, options: HistoryOrderOptions<T>): Promise<void> {
  const iterator = items[Symbol.asyncIterator]();
  const lookahead = options.lookahead ?? 256;
  const waiting: T[] = [];
  const busy = new Set<string>();
  const running = new Set<Promise<void>>();
  let exhausted = false;
  let failure: { error: unknown } | undefined;
  try {
    for (;;) {
      if (failure !== undefined || options.shouldStop?.() === true) break;
      let next = waiting.findIndex((item) => !busy.has(options.historyOf(item)));
      while (next === -1 && !exhausted && waiting.length < lookahead) {
        const read = await iterator.next();
        if (read.done === true) {
          exhausted = true;
        } else {
          waiting.push(read.value);
          if (!busy.has(options.historyOf(read.value))) next = waiting.length - 1;
        }
      }
      if (next !== -1 && running.size < options.concurrency) {
        const [item] = waiting.splice(next, 1) as [T];
        const history = options.historyOf(item);
        busy.add(history);
        const run: Promise<void> = work(item)
          .catch((error: unknown) => void (failure ??= { error }))
          .finally(() => {
            busy.delete(history);
            running.delete(run);
          });
        running.add(run);
        continue;
      }
      if (running.size === 0) break; // nothing runs and nothing can start: every item is done
      await Promise.race(running);
    }
    await Promise.all(running);
  } finally {
    await iterator.return?.();
  }
  if (failure !== undefined) throw failure.error;
}
