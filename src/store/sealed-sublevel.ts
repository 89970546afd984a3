import { mapIterator, type EntryIterator, type KeyRange } from './entry-iterator.js';
import type { RawBatch, RawSublevel } from './raw-level.js';
import { Batch, type BatchTarget } from './sealed-batch.js';
import type { SealedValues } from './sealed-values.js';

/** One operation of {@link Sub.batch}. */
type SubOperation<V> = { readonly type: 'put'; readonly key: string; readonly value: V } | { readonly type: 'del'; readonly key: string };

/**
 * A sublevel of the state database holding records of type V: abstract-level's sublevel API as the store uses it
 * (get, getMany, put, del, batch, iterator, keys, values, clear), over LevelDB's public API only. Every value passes
 * through {@link SealedValues} on its way in and out, so no read or write path of the store can skip sealing,
 * whatever a `level` release changes inside (test/sealing.test.ts checks the bytes on disk).
 */
export class Sub<V> implements BatchTarget<V> {
  constructor(private readonly raw: RawSublevel, private readonly codec: SealedValues) {}

  /** The sublevel's key prefix in the database (`!turns!`). */
  get prefix(): string {
    return this.raw.prefix;
  }

  /** The record under `key`, or undefined. */
  async get(key: string): Promise<V | undefined> {
    return this.codec.decode(key, await this.raw.get<string, string | Buffer>(key, { valueEncoding: this.codec.format })) as V | undefined;
  }

  /** The records under `keys`, in their order (undefined where none). */
  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    const stored = await this.raw.getMany<string, string | Buffer>([...keys], { valueEncoding: this.codec.format });
    return stored.map((value, i) => this.codec.decode(keys[i] as string, value) as V | undefined);
  }

  /** Stores `value` under `key`. */
  async put(key: string, value: V): Promise<void> {
    const encoded = this.codec.encode(key, value);
    await this.raw.put<string, string | Buffer>(key, encoded.value, { valueEncoding: encoded.valueEncoding });
  }

  /** Deletes `key`. */
  async del(key: string): Promise<void> {
    await this.raw.del(key);
  }

  /** Writes `operations` atomically. */
  batch(operations: readonly SubOperation<V>[]): Promise<void>;
  /** A chained batch of this sublevel's operations. */
  batch(): SubBatch<V>;
  batch(operations?: readonly SubOperation<V>[]): Promise<void> | SubBatch<V> {
    const batch = new SubBatch(new Batch(this.raw.db.batch()), this);
    if (operations === undefined) return batch;
    for (const operation of operations) {
      if (operation.type === 'put') batch.put(operation.key, operation.value);
      else batch.del(operation.key);
    }
    return batch.write();
  }

  /** The records of `range` as [key, record] entries, in key order. */
  iterator(range: KeyRange = {}): EntryIterator<[string, V]> {
    return mapIterator(this.raw.iterator<string, string | Buffer>({ ...range, valueEncoding: this.codec.format }), ([key, value]) => [key, this.codec.decode(key, value) as V]);
  }

  /** The keys of `range`, in key order. */
  keys(range: KeyRange = {}): EntryIterator<string> {
    return this.raw.keys(range);
  }

  /** The records of `range`, in key order. */
  values(range: KeyRange = {}): EntryIterator<V> {
    return mapIterator(this.iterator(range), ([, value]) => value);
  }

  /** Deletes every record of `range`. */
  async clear(range: KeyRange = {}): Promise<void> {
    await this.raw.clear(range);
  }

  /** For {@link Batch}: queues `value`, encoded, under `key`. */
  putInto(batch: RawBatch, key: string, value: V): void {
    const encoded = this.codec.encode(key, value);
    batch.put<string, string | Buffer>(key, encoded.value, { sublevel: this.raw, valueEncoding: encoded.valueEncoding });
  }

  /** For {@link Batch}: queues a delete of `key`. */
  delInto(batch: RawBatch, key: string): void {
    batch.del(key, { sublevel: this.raw });
  }
}

/** A chained batch of one sublevel (`sublevel.batch()`), written atomically. */
class SubBatch<V> {
  constructor(private readonly batch: Batch, private readonly sublevel: Sub<V>) {}

  /** The operations queued. */
  get length(): number {
    return this.batch.length;
  }

  /** Queues a put of `value` under `key`. */
  put(key: string, value: V): this {
    this.batch.put(key, value, { sublevel: this.sublevel });
    return this;
  }

  /** Queues a delete of `key`. */
  del(key: string): this {
    this.batch.del(key, { sublevel: this.sublevel });
    return this;
  }

  /** Writes every queued operation at once, or none. */
  write(): Promise<void> {
    return this.batch.write();
  }

  /** Drops the batch unwritten. */
  close(): Promise<void> {
    return this.batch.close();
  }
}
