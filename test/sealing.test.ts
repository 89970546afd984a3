// Sealing (docs/security.md) is done by the store's own wrapper around LevelDB's public API (src/store/sealed-*.ts),
// not inside `level`: every value of a kind that holds chat text is sealed on every write path and opened on every
// read path. These tests write through each path, then read the folder back with a bare LevelDB handle — so a
// `level` release that routed a call around the wrapper would leave plain text on disk, and fail here.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Level } from 'level';
import { isMcError } from '../src/errors.js';
import { levelsOf, type Sub } from '../src/store/levels.js';
import { Sealer, sealedKinds, type SealingRecord } from '../src/store/sealing.js';
import type { OutboxEntry } from '../src/store/records.js';
import { State, schemaVersion } from '../src/store/state.js';
import { scanForText } from './helpers/raw-scan.ts';
import { tempDir } from './helpers/temp-dir.js';

const stateKey = Buffer.from('the state key of the sealing test, 32+ characters').toString('base64');
const kinds = Object.values(sealedKinds);
const marker = /PLAINTEXT-[a-z]+-[a-z-]+/g;

/** A record of chat text, marked with its kind and the path it was written by. */
interface Marked {
  readonly text: string;
}
const marked = (kind: string, path: string): Marked => ({ text: `PLAINTEXT-${kind}-${path}` });

// A sublevel holding chat text, typed for these tests' records (the store's own code stores its record types there).
const sublevelOf = (state: object, kind: (typeof kinds)[number]) => levelsOf(state)[kind] as unknown as Sub<Marked>;

/** The write paths of the store, each writing one record under its own key. */
const writePaths: Record<string, (state: object, sublevel: Sub<Marked>, key: string, value: Marked) => Promise<void>> = {
  put: (_state, sublevel, key, value) => sublevel.put(key, value),
  'db-batch': (state, sublevel, key, value) => levelsOf(state).db.batch().put(key, value, { sublevel }).write(),
  'sub-batch': (_state, sublevel, key, value) => sublevel.batch([{ type: 'put', key, value }]),
  'sub-chained-batch': (_state, sublevel, key, value) => sublevel.batch().put(key, value).write(),
};
const paths = Object.keys(writePaths);
const keyOf = (path: string) => `${paths.indexOf(path)}:${path}`;

/** Every entry of the database as LevelDB holds it, read with a bare handle on the closed state's folder. */
async function rawEntries(stateDir: string): Promise<Map<string, Buffer>> {
  const db = new Level<string, Buffer>(join(stateDir, 'db'), { valueEncoding: 'buffer' });
  try {
    return new Map(await db.iterator().all());
  } finally {
    await db.close();
  }
}

/** Writes a value into the closed state's folder with a bare handle. */
async function rawPut(stateDir: string, key: string, value: Buffer | string): Promise<void> {
  const db = new Level<string, Buffer | string>(join(stateDir, 'db'), { valueEncoding: typeof value === 'string' ? 'utf8' : 'buffer' });
  try {
    await db.put(key, value);
  } finally {
    await db.close();
  }
}

/** Opens the state in `stateDir` (with the test's state key unless `options` say otherwise), runs `work`, closes it. */
async function withState<T>(stateDir: string, work: (state: State) => Promise<T>, options: { readonly stateKey?: string } = { stateKey }): Promise<T> {
  const state = await State.open(stateDir, 'test', options);
  try {
    return await work(state);
  } finally {
    await state.close();
  }
}

describe('sealing values holding chat text', () => {
  it('every write path (put, a database batch with { sublevel }, a sublevel batch, chained or not) seals every kind: no plain text reaches any file', async () => {
    const dir = await tempDir();
    await withState(dir, async (state) => {
      for (const kind of kinds) for (const [path, write] of Object.entries(writePaths)) await write(state, sublevelOf(state, kind), keyOf(path), marked(kind, path));
    });
    const raw = await rawEntries(dir);
    const record = JSON.parse(raw.get('!meta!sealing')?.toString('utf8') ?? 'null') as SealingRecord;
    const sealer = Sealer.forRecord(stateKey, record);
    assert.ok(sealer !== undefined, 'the state records its sealing');
    for (const kind of kinds) {
      for (const path of paths) {
        const fullKey = `!${kind}!${keyOf(path)}`;
        const stored = raw.get(fullKey);
        assert.ok(stored !== undefined, `${fullKey} was written`);
        assert.ok(!stored.toString('latin1').includes('PLAINTEXT'), `${fullKey} holds no plain text`);
        // The format of earlier versions: the JSON text sealed with the kind's key, the full key as associated data.
        assert.deepEqual(JSON.parse(sealer.open(kind, fullKey, stored)?.toString('utf8') ?? 'null'), marked(kind, path), `${fullKey} opens as docs/security.md says`);
      }
    }
    const scan = await scanForText(dir, marker);
    assert.ok(scan.logRecords > 0, 'the scan read the write-ahead log');
    assert.deepEqual(scan.findings, [], 'no file of STATE_DIR holds a marker, raw or in a log record');
  });

  it('every read path (get, getMany, iterator with range options, next, nextv, for await, values, keys) gives the plain records back', async () => {
    const dir = await tempDir();
    await withState(dir, async (state) => {
      for (const kind of kinds) for (const [path, write] of Object.entries(writePaths)) await write(state, sublevelOf(state, kind), keyOf(path), marked(kind, path));
    });
    await withState(dir, async (state) => {
      for (const kind of kinds) {
        const sublevel = sublevelOf(state, kind);
        const entries = paths.map((path): [string, Marked] => [keyOf(path), marked(kind, path)]);
        const keys = entries.map(([key]) => key);
        assert.deepEqual(await sublevel.get(keyOf('put')), marked(kind, 'put'));
        assert.equal(await sublevel.get('none'), undefined);
        assert.deepEqual(await sublevel.getMany([...keys, 'none']), [...entries.map(([, value]) => value), undefined]);
        assert.deepEqual(await sublevel.iterator().all(), entries);
        assert.deepEqual(await sublevel.iterator({ gt: keys[0], lte: keys[3], reverse: true, limit: 2 }).all(), [entries[3], entries[2]]);
        assert.deepEqual(await sublevel.iterator({ gte: keys[1], lt: keys[3] }).all(), entries.slice(1, 3));
        const iterator = sublevel.iterator();
        assert.deepEqual([await iterator.next(), await iterator.nextv(2)], [entries[0], entries.slice(1, 3)]);
        await iterator.close();
        const seen = [];
        for await (const entry of sublevel.iterator()) seen.push(entry);
        assert.deepEqual(seen, entries);
        assert.deepEqual(await sublevel.values({ limit: 3 }).all(), entries.slice(0, 3).map(([, value]) => value));
        assert.deepEqual(await sublevel.keys().all(), keys);
      }
    });
  });

  it('a value sealed as earlier versions sealed it (Sealer over its JSON, bound to its full key) opens through the store', async () => {
    const dir = await tempDir();
    await withState(dir, async () => undefined); // a fresh state, sealed: its salt and key check
    const record = JSON.parse((await rawEntries(dir)).get('!meta!sealing')?.toString('utf8') ?? 'null') as SealingRecord;
    const sealer = Sealer.forRecord(stateKey, record);
    assert.ok(sealer !== undefined);
    for (const kind of kinds) await rawPut(dir, `!${kind}!written-elsewhere`, sealer.seal(kind, `!${kind}!written-elsewhere`, Buffer.from(JSON.stringify(marked(kind, 'by-hand')))));
    await withState(dir, async (state) => {
      for (const kind of kinds) assert.deepEqual(await sublevelOf(state, kind).get('written-elsewhere'), marked(kind, 'by-hand'));
    });
  });

  it('a sealed value that fails its tag, or was moved under another key, is MC_STATE_DAMAGED saying to restore a backup', async () => {
    const dir = await tempDir();
    await withState(dir, (state) => sublevelOf(state, 'turns').put('a', marked('turns', 'put')));
    const stored = (await rawEntries(dir)).get('!turns!a');
    assert.ok(stored !== undefined);
    const flipped = Buffer.from(stored);
    flipped[flipped.length - 1] = (flipped.at(-1) as number) ^ 0x01;
    await rawPut(dir, '!turns!a', flipped);
    await rawPut(dir, '!turns!b', stored);
    await withState(dir, async (state) => {
      for (const key of ['a', 'b']) {
        await assert.rejects(sublevelOf(state, 'turns').get(key), (error) => {
          assert.ok(isMcError(error, 'MC_STATE_DAMAGED'));
          assert.match(error.message, /is damaged: a sealed turns value failed its integrity check \(AES-GCM tag\); restore .* from a backup — nothing was rewritten/);
          return true;
        });
      }
      await assert.rejects(sublevelOf(state, 'turns').iterator().all(), (error) => isMcError(error, 'MC_STATE_DAMAGED'), 'and so does reading it with an iterator');
    });
  });

  it('a sealed state opened without its key, or with another, is MC_STATE_KEY', async () => {
    const dir = await tempDir();
    await withState(dir, async () => undefined);
    for (const key of [undefined, `${stateKey}-another`]) {
      await assert.rejects(State.open(dir, 'test', { stateKey: key }), (error) => isMcError(error, 'MC_STATE_KEY'));
    }
  });

  it('values of other kinds, and every value of a state without a key, are stored as their JSON text, as before sealing', async () => {
    const keyed = await tempDir();
    await withState(keyed, (state) => levelsOf(state).chats.put('0000000000000007', { s: 'conv', c: 'conv_a' }));
    assert.equal((await rawEntries(keyed)).get('!chats!0000000000000007')?.toString('utf8'), '{"s":"conv","c":"conv_a"}');
    const plain = await tempDir();
    await withState(plain, (state) => sublevelOf(state, 'turns').put('a', marked('turns', 'plain')), {});
    assert.equal((await rawEntries(plain)).get('!turns!a')?.toString('utf8'), JSON.stringify(marked('turns', 'plain')));
  });

  it('a plain state opened with a key is sealed in place, and rekeyed: only the new key opens it, values intact', async () => {
    const dir = await tempDir();
    await withState(dir, (state) => sublevelOf(state, 'outbox').put('c', marked('outbox', 'rekey')), {});
    assert.ok((await rawEntries(dir)).get('!outbox!c')?.toString('latin1').includes('PLAINTEXT'), 'plain before');
    await withState(dir, async () => undefined);
    assert.ok(!(await rawEntries(dir)).get('!outbox!c')?.toString('latin1').includes('PLAINTEXT'), 'sealed in place');
    const newKey = `${stateKey}-the-next-one`;
    await withState(dir, (state) => state.rekey(newKey));
    await assert.rejects(State.open(dir, 'test', { stateKey }), (error) => isMcError(error, 'MC_STATE_KEY'));
    await withState(dir, async (state) => assert.deepEqual(await sublevelOf(state, 'outbox').get('c'), marked('outbox', 'rekey')), { stateKey: newKey });
    assert.deepEqual((await scanForText(dir, marker)).findings, [], 'the plain and first-key copies are purged');
  });

  it('a sealed state of an older schema is migrated with its key: the key is checked before any record holding text is read', async () => {
    const dir = await tempDir();
    const frozen = { conversation: { id: 'conv_a' }, turnKeys: [], status: 'pending', attempts: 0, frozenAt: 'then' } as unknown as OutboxEntry;
    await withState(dir, async (state) => {
      await levelsOf(state).outbox.put('conv_a', frozen);
      await levelsOf(state).meta.put('schema', schemaVersion - 1);
    });
    await withState(dir, async (state) => {
      assert.equal(await levelsOf(state).meta.get('schema'), schemaVersion, 'migrated');
      assert.deepEqual(await levelsOf(state).outbox.get('conv_a'), frozen);
    });
  });
});
