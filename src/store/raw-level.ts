import type { Level } from 'level';

/** STATE_DIR's LevelDB as classic-level opens it: string keys, values as sealed-values.ts encodes them. */
export type RawLevel = Level<string, string>;

/** Opens the sublevel `name` of the state's LevelDB, for the sealed wrapper alone (sealed-sublevel.ts). */
export function rawSublevel(db: RawLevel, name: string) {
  return db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
}

/** A sublevel of the state's LevelDB, values not yet decoded. */
export type RawSublevel = ReturnType<typeof rawSublevel>;

/** A chained batch of the state's LevelDB. */
export type RawBatch = ReturnType<RawLevel['batch']>;
