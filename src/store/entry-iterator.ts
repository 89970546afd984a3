/**
 * A read over a key range of the store, in key order: what abstract-level's iterators offer (`for await`, `next`,
 * `nextv`, `all`, `close`), yielding entries, keys or values as the store hands them out (decoded, opened).
 */
export interface EntryIterator<T> extends AsyncIterable<T> {
  /** The next item, or undefined at the end. */
  next(): Promise<T | undefined>;
  /** Up to `size` next items; an empty array at the end. */
  nextv(size: number): Promise<T[]>;
  /** Every remaining item; closes the iterator. */
  all(): Promise<T[]>;
  /** Frees the LevelDB iterator (and its snapshot); not needed after `all()` or a finished `for await`. */
  close(): Promise<void>;
}

/** The range options of a read: keys within the sublevel, `limit` items at most, `reverse` for descending order. */
export interface KeyRange {
  readonly gt?: string;
  readonly gte?: string;
  readonly lt?: string;
  readonly lte?: string;
  readonly limit?: number;
  readonly reverse?: boolean;
}

/** `iterator` with each item passed through `map` (a LevelDB entry decoded, say); map's errors reach the reader. */
export function mapIterator<S, T>(iterator: EntryIterator<S>, map: (item: S) => T): EntryIterator<T> {
  return {
    async next() {
      const item = await iterator.next();
      return item === undefined ? undefined : map(item);
    },
    async nextv(size) {
      return (await iterator.nextv(size)).map(map);
    },
    async all() {
      return (await iterator.all()).map(map);
    },
    close: () => iterator.close(),
    async *[Symbol.asyncIterator]() {
      for await (const item of iterator) yield map(item);
    },
  };
}
