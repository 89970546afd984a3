import type { Sub } from './levels.js';

/** Entries read per iterator: each iterator, and the snapshot it holds, lives for one such read. */
const entriesPerRead = 256;

/**
 * Reads a sublevel in key order, a few hundred entries per short-lived iterator, never holding a snapshot while the
 * caller works (sends, writes). LevelDB 1.20, which classic-level bundles, can bring a deleted key back when a
 * compaction runs while an old snapshot keeps two versions of it apart (google/leveldb#320, fixed in 1.21): a
 * snapshot held across deletes is how a sent chat came back as a conversation of its own. Each read sees the state
 * as of that read; an entry written behind the last key read is left for the next scan.
 */
export async function* inShortReads<V>(sublevel: Sub<V>): AsyncGenerator<[string, V]> {
  let after: string | undefined;
  for (;;) {
    const entries = await sublevel.iterator({ limit: entriesPerRead, ...(after === undefined ? {} : { gt: after }) }).all();
    yield* entries;
    const last = entries.at(-1);
    if (last === undefined || entries.length < entriesPerRead) return;
    after = last[0];
  }
}
