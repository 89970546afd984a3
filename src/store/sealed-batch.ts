import type { RawBatch } from './raw-level.js';

/** What a sublevel adds to a batch: its operations, encoded (and sealed) by the sublevel itself (sealed-sublevel.ts). */
export interface BatchTarget<V> {
  /** Queues a put of `value` under `key`, encoded as this sublevel stores its values. */
  putInto(batch: RawBatch, key: string, value: V): void;
  /** Queues a delete of `key`. */
  delInto(batch: RawBatch, key: string): void;
}

/**
 * A chained batch over several sublevels, written atomically: abstract-level's `db.batch()` as the store uses it,
 * each operation naming its sublevel (`{ sublevel }`), which encodes (and seals) its value.
 */
export class Batch {
  constructor(private readonly raw: RawBatch) {}

  /** The operations queued. */
  get length(): number {
    return this.raw.length;
  }

  /** Queues a put of `value` under `key` in `options.sublevel`. */
  put<V>(key: string, value: NoInfer<V>, options: { readonly sublevel: BatchTarget<V> }): this {
    options.sublevel.putInto(this.raw, key, value);
    return this;
  }

  /** Queues a delete of `key` in `options.sublevel`. */
  del(key: string, options: { readonly sublevel: BatchTarget<unknown> }): this {
    options.sublevel.delInto(this.raw, key);
    return this;
  }

  /** Writes every queued operation at once, or none. */
  write(): Promise<void> {
    return this.raw.write();
  }

  /** Drops the batch unwritten. */
  close(): Promise<void> {
    return this.raw.close();
  }
}
