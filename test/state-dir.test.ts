// Claiming STATE_DIR (src/statedir/state-dir.ts): what a run takes when it opens the state — the owner-only umask,
// the LevelDB lock, the holder record — and gives back when it closes, or when opening fails half-way.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Level } from 'level';
import { isMcError } from '../src/errors.js';
import { probeStateLock } from '../src/statedir/lock-probe.js';
import { claimStateDir } from '../src/statedir/state-dir.js';
import { State, schemaVersion } from '../src/store/state.js';
import { probeFromAnotherProcess } from './helpers/lock-holder.js';
import { tempDir } from './helpers/temp-dir.js';
import { levelsOf } from '../src/store/levels.js';

const newDatabase = (dbDir: string) => new Level<string, string>(dbDir);

describe('claiming STATE_DIR', () => {
  it('holds the owner-only umask, the lock and the holder record while claimed, and gives all three back on release', async () => {
    const dir = await tempDir();
    const umask = process.umask();
    const claimed = await claimStateDir(dir, { command: 'memory-cron run', fixPermissions: false }, newDatabase);
    try {
      assert.equal(process.umask(), 0o077);
      assert.equal(claimed.db.status, 'open');
      assert.deepEqual(await probeFromAnotherProcess(dir), { held: true });
      const holder = JSON.parse(await readFile(join(dir, 'holder.json'), 'utf8')) as { pid: number; command: string };
      assert.deepEqual([holder.pid, holder.command], [process.pid, 'memory-cron run']);
    } finally {
      await claimed.release();
    }
    assert.equal(process.umask(), umask, 'the umask is given back');
    assert.equal(claimed.db.status, 'closed');
    assert.deepEqual(await probeStateLock(dir), { held: false });
    await assert.rejects(readFile(join(dir, 'holder.json')), { code: 'ENOENT' }, 'the holder is forgotten');
  });

  it('a folder refused before LevelDB is opened (a damage mark) takes nothing: no database made, the umask given back', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'damaged.json'), JSON.stringify({ found: ['dropping 10 bytes'] }));
    const umask = process.umask();
    let made = false;
    const madeDatabase = (dbDir: string) => {
      made = true;
      return newDatabase(dbDir);
    };
    await assert.rejects(claimStateDir(dir, { command: 'test', fixPermissions: false }, madeDatabase), (error) => isMcError(error, 'MC_STATE_DAMAGED'));
    assert.equal(made, false);
    assert.equal(process.umask(), umask);
  });

  it('a state refused once its folder is claimed (a newer schema) gives the folder back: lock free, umask as before, no holder', async () => {
    const dir = await tempDir();
    const state = await State.open(dir, 'test');
    await levelsOf(state).meta.put('schema', schemaVersion + 1);
    await state.close();
    const umask = process.umask();
    await assert.rejects(State.open(dir, 'test'), (error) => isMcError(error, 'MC_STATE_NEWER'));
    assert.equal(process.umask(), umask);
    assert.deepEqual(await probeStateLock(dir), { held: false });
    await assert.rejects(readFile(join(dir, 'holder.json')), { code: 'ENOENT' });
  });
});
