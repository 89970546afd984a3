import type { Level } from 'level';

/** The part of classic-level (what `level` is on Node) a purge needs; the browser-neutral types of `level` leave it out. */
type Compacting<V> = Level<string, V> & { compactRange(start: string, end: string): Promise<void> };

/**
 * Drops the deleted values of the given sublevels (by prefix) from every file of the database, so the text of a
 * delivered conversation does not stay on disk (DESIGN §4; docs/security.md "Nothing left after delivery").
 *
 * LevelDB's `compactRange` alone does not: it flushes the memtable (whose table keeps every version, the value and
 * its deletion side by side) and then compacts each level *above* the deepest one holding the range into the next.
 * A flushed table that lands on that deepest level (a small database's flushes go straight to level 2) is never an
 * input, so the values deleted in it stay, compressed, until some later compaction happens to pick that file. So:
 * a first `compactRange` flushes and pushes the range down; two deletions of keys no record uses, at both ends of
 * the range, then make a tiny table that spans the whole range, and a second `compactRange` merges it with every
 * file of the range on each level below, down to the deepest: each is rewritten without deleted values, the two
 * deletions vanish at the bottom, and the old files (and the write-ahead log holding the deletes) are removed.
 * Call it after the night's last write of text, with no iterator open (a snapshot keeps old versions alive).
 */
export async function purgeDeleted<V>(db: Level<string, V>, prefixes: readonly string[]): Promise<void> {
  const compacting = db as Compacting<V>;
  for (const prefix of prefixes) {
    const [start, end] = rangeOf(prefix);
    await compacting.compactRange(start, end);
    await db.batch([
      { type: 'del', key: start },
      { type: 'del', key: end },
    ]);
    await compacting.compactRange(start, end);
  }
}

// A sublevel's prefix is `!name!`; its keys run from the prefix to `!name"` (exclusive), which no record uses.
function rangeOf(prefix: string): [string, string] {
  const last = prefix.charCodeAt(prefix.length - 1);
  return [prefix, `${prefix.slice(0, -1)}${String.fromCharCode(last + 1)}`];
}
