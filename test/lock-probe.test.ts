// Whether a run holds STATE_DIR is asked of its LevelDB lock (src/statedir/lock-probe.ts), never of a recorded pid that
// may have been reused: the lock is tried from another process, through a link in a temporary folder, and no byte of
// STATE_DIR changes.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { probeStateLock } from '../src/statedir/lock-probe.js';
import { State } from '../src/store/state.js';
import { holderAlive } from '../src/status/holder-alive.js';
import { hashTree } from './helpers/cli-env.js';
import { deadPid, holdLock, probeFromAnotherProcess } from './helpers/lock-holder.js';
import { tempDir } from './helpers/temp-dir.js';

const holder = (pid: number) => ({ pid, command: 'memory-cron run', startedAt: '2026-11-24T09:00:00.000Z' });

describe('the LevelDB lock decides whether a run holds STATE_DIR', () => {
  it('a STATE_DIR that does not exist, or holds no database yet, is free', async () => {
    const dir = await tempDir();
    assert.deepEqual(await probeStateLock(join(dir, 'never-created')), { held: false });
    assert.deepEqual(await probeStateLock(dir), { held: false });
  });

  it('is free once the run closed the state, whatever live pid the records name, and held while another process has it open; STATE_DIR is left byte for byte', async () => {
    const dir = await tempDir();
    const state = await State.open(dir, 'test');
    await state.close();
    const before = await hashTree(dir);
    assert.deepEqual(await probeStateLock(dir), { held: false });
    assert.equal(await holderAlive(dir, holder(process.pid)), false, 'a live pid (this test’s) is not a run holding the state');
    assert.deepEqual(await hashTree(dir), before, 'trying the lock changed no file');

    const other = await holdLock(dir);
    try {
      const during = await hashTree(dir);
      assert.deepEqual(await probeStateLock(dir), { held: true });
      assert.equal(await holderAlive(dir, holder(deadPid())), true, 'a dead recorded pid does not make a held lock free');
      assert.deepEqual(await hashTree(dir), during, 'trying a held lock changed no file');
    } finally {
      await other.release();
    }
    const closed = await hashTree(dir);
    assert.deepEqual(await probeStateLock(dir), { held: false }, 'the holder closed the state');
    assert.deepEqual(await hashTree(dir), closed, 'trying a free lock changed no file either');
  });

  it('asked by the process that has the state open, says held without trying the lock, which that process keeps', async () => {
    const dir = await tempDir();
    const state = await State.open(dir, 'test');
    try {
      assert.deepEqual(await probeStateLock(dir), { held: true });
      assert.deepEqual(await probeFromAnotherProcess(dir), { held: true }, 'the state is still locked for every other process');
    } finally {
      await state.close();
    }
    assert.deepEqual(await probeFromAnotherProcess(dir), { held: false });
  });

  it('a lock that cannot be tried is unknown, and then the recorded pid decides', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'db', 'LOCK'), { recursive: true }); // LevelDB cannot open a folder as its LOCK file
    const probe = await probeStateLock(dir);
    assert.equal(probe.held, undefined);
    assert.equal(await holderAlive(dir, holder(process.pid)), true);
    assert.equal(await holderAlive(dir, holder(deadPid())), false);
  });
});
