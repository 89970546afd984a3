import type { EntryIterator, KeyRange } from './entry-iterator.js';
import { purgeDeleted } from './purge.js';
import { rawSublevel, type RawLevel } from './raw-level.js';
import { Batch } from './sealed-batch.js';
import { Sub } from './sealed-sublevel.js';
import { SealedValues, type SealerSlot } from './sealed-values.js';

/**
 * STATE_DIR's LevelDB as the store reaches it: through sublevels whose values are sealed on their way in and opened
 * on their way out (Sub), and batches across them. The LevelDB handle itself stays inside, so no write or read can
 * go around the sealing; the database is opened and closed by whoever made it (statedir/state-dir.ts).
 */
export class Root {
  /** The sealer every sublevel of this database seals with; set once the state key is checked (seal-state.ts). */
  readonly sealing: SealerSlot = { sealer: undefined };

  constructor(private readonly db: RawLevel, private readonly stateDir: string) {}

  /** The sublevel `name`, holding records of type V. */
  sublevel<V = unknown>(name: string): Sub<V> {
    const raw = rawSublevel(this.db, name);
    return new Sub<V>(raw, new SealedValues(raw.prefix, this.sealing, this.stateDir));
  }

  /** A chained batch across sublevels, written atomically. */
  batch(): Batch {
    return new Batch(this.db.batch());
  }

  /** Every key of the database (sublevel prefix included) within `range`, in key order. */
  keys(range: KeyRange = {}): EntryIterator<string> {
    return this.db.keys(range);
  }

  /** Drops the deleted values of the sublevels with these prefixes from every file (purge.ts). */
  purgeDeleted(prefixes: readonly string[]): Promise<void> {
    return purgeDeleted(this.db, prefixes);
  }
}
