import type { Level } from 'level';
import { McError } from '../errors.js';
import type { Sealer } from './sealing.js';

// Every read and write of a sublevel, a batch with a `sublevel` option, an iterator or a chained batch ends in the
// root database's private methods (abstract-level's design), with the full key and the encoded value. Sealing there
// means no code path can forget it: a new call site, sublevel or helper is sealed without knowing it.

type Format = 'utf8' | 'buffer' | 'view';
type Key = string | Uint8Array;
type Value = string | Uint8Array;
interface Formats {
  keyEncoding?: Format;
  valueEncoding?: Format;
}
type Entry = [Key | undefined, Value | undefined];
interface PrivateIterator {
  _next(): Promise<Entry | undefined>;
  _nextv(size: number, options: unknown): Promise<Entry[]>;
}
interface PrivateBatch {
  _put(key: Key, value: Value, options?: Formats): void;
}
interface PrivateApi {
  _put(key: Key, value: Value, options: Formats): Promise<void>;
  _get(key: Key, options: Formats): Promise<Value | undefined>;
  _getSync(key: Key, options: Formats): Value | undefined;
  _getMany(keys: Key[], options: Formats): Promise<(Value | undefined)[]>;
  _batch(operations: ({ type: 'put' | 'del'; key: Key; value?: Value } & Formats)[], options: unknown): Promise<void>;
  _chainedBatch(): PrivateBatch;
  _iterator(options: Formats & { keys?: boolean; values?: boolean }): PrivateIterator;
}

/** Where the sealer of an open database is kept; undefined while the state is not sealed (values pass as they are). */
export interface SealerSlot {
  sealer: Sealer | undefined;
}

/**
 * Seals, on their way to disk, the values stored under the prefixes of `sealedKinds`, and opens them on their way
 * back, for every path through `db`; a value that fails to open is damage (MC_STATE_DAMAGED). Returns the slot that
 * switches sealing on (the sealer is set once the state's key is checked).
 */
export function sealValues(db: Level<string, unknown>, stateDir: string): SealerSlot {
  const slot: SealerSlot = { sealer: undefined };
  const api = db as unknown as PrivateApi;
  const original = {
    put: api._put.bind(api),
    get: api._get.bind(api),
    getSync: api._getSync.bind(api),
    getMany: api._getMany.bind(api),
    batch: api._batch.bind(api),
    chainedBatch: api._chainedBatch.bind(api),
    iterator: api._iterator.bind(api),
  };
  const kindOf = (key: Key | undefined): string | undefined => (key === undefined || slot.sealer === undefined ? undefined : slot.sealer.kindOf(text(key)));
  const seal = (key: Key, value: Value): Value => {
    const kind = kindOf(key);
    return kind === undefined || slot.sealer === undefined ? value : slot.sealer.seal(kind, text(key), bytes(value));
  };
  // A value read as a buffer, opened when sealed, and handed back in the format the caller asked for.
  const open = (key: Key, value: Value | undefined, format: Format | undefined): Value | undefined => {
    if (value === undefined) return undefined;
    const kind = kindOf(key);
    const plain = kind === undefined || slot.sealer === undefined ? bytes(value) : slot.sealer.open(kind, text(key), bytes(value));
    if (plain === undefined) {
      throw new McError('MC_STATE_DAMAGED', `state in ${stateDir} is damaged: a sealed ${kind} value failed its integrity check (AES-GCM tag); restore ${stateDir} from a backup — nothing was rewritten`);
    }
    return as(plain, format);
  };
  const asBuffers = <T extends Formats>(options: T): T => ({ ...options, valueEncoding: 'buffer' });

  api._put = (key, value, options) => original.put(key, seal(key, value), options);
  api._batch = (operations, options) => original.batch(operations.map((op) => (op.type === 'put' && op.value !== undefined ? { ...op, value: seal(op.key, op.value) } : op)), options);
  api._chainedBatch = () => {
    const batch = original.chainedBatch();
    const put = batch._put.bind(batch);
    batch._put = (key, value, options) => put(key, seal(key, value), options);
    return batch;
  };
  api._get = async (key, options) => (kindOf(key) === undefined ? original.get(key, options) : open(key, await original.get(key, asBuffers(options)), options.valueEncoding));
  api._getSync = (key, options) => (kindOf(key) === undefined ? original.getSync(key, options) : open(key, original.getSync(key, asBuffers(options)), options.valueEncoding));
  api._getMany = async (keys, options) => {
    if (!keys.some((key) => kindOf(key) !== undefined)) return original.getMany(keys, options);
    const values = await original.getMany(keys, asBuffers(options));
    return values.map((value, i) => open(keys[i] as Key, value, options.valueEncoding));
  };
  api._iterator = (options) => {
    if (slot.sealer === undefined || options.values === false) return original.iterator(options);
    const iterator = original.iterator({ ...asBuffers(options), keys: true });
    const next = iterator._next.bind(iterator);
    const nextv = iterator._nextv.bind(iterator);
    const entry = ([key, value]: Entry): Entry => [options.keys === false ? undefined : key, open(key as Key, value, options.valueEncoding)];
    iterator._next = async () => {
      const found = await next();
      return found === undefined ? undefined : entry(found);
    };
    iterator._nextv = async (size, nextOptions) => (await nextv(size, nextOptions)).map(entry);
    return iterator;
  };
  return slot;
}

function text(key: Key): string {
  return typeof key === 'string' ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
}

function bytes(value: Value): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function as(plain: Buffer, format: Format | undefined): Value {
  if (format === undefined || format === 'utf8') return plain.toString('utf8');
  return format === 'view' ? new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength) : plain;
}
