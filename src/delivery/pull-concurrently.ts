import { defer, from, merge, type Observable } from 'rxjs';

/**
 * Runs `work` over `items` with at most `concurrency` in flight, pulling the next item only when a worker is
 * free (real backpressure, unlike `from(asyncIterable)` + `mergeMap`). Workers stop pulling once `shouldStop()`.
 */
export function pullConcurrently<T, R>(items: AsyncIterable<T>, concurrency: number, work: (item: T) => Promise<R>, shouldStop: () => boolean = () => false): Observable<R> {
  return defer(() => {
    const iterator = items[Symbol.asyncIterator]();
    let running = concurrency;
    async function* worker(): AsyncGenerator<R> {
      try {
        while (!shouldStop()) {
          const next = await iterator.next();
          if (next.done === true) return;
          yield await work(next.value);
        }
      } finally {
        if (--running === 0) await iterator.return?.();
      }
    }
    return merge(...Array.from({ length: concurrency }, () => from(worker())));
  });
}
