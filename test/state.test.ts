import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isMcError } from '../src/errors.js';
import { chatIdentity } from '../src/domain/chat-identity.js';
import { frozenMark } from '../src/store/frozen-mark.js';
import { turnKey } from '../src/store/keys.js';
import { levelsOf } from '../src/store/levels.js';
import { lowestOpenChatId } from '../src/delivery/lowest-open-chat.js';
import { normalisePage } from '../src/source/normalise-page.js';
import { stagePage, type StageOptions } from '../src/staging/stage-page.js';
import { State, schemaVersion } from '../src/store/state.js';
import { tempDir } from './helpers/temp-dir.js';
import { padId } from '../src/domain/fixed-width.js';

const realNowMs = Date.parse('2026-11-24T09:00:00Z');
const options = { includeHidden: false, realNowMs };

// Stages raw records as the night does: validated by the source first.
function stageRecords(state: State, records: readonly unknown[], stageOptions: StageOptions) {
  return stagePage(state, normalisePage(records, stageOptions.realNowMs), stageOptions);
}
const record = (id: number, fields: Record<string, unknown> = {}) => ({ id, workspaceId: 1, thread_id: null, prompt: `p${id}`, response: '{"text":"r"}', createdAt: new Date(realNowMs - 10 * 3_600_000 + id * 60_000).toISOString(), ...fields });

async function withState<T>(work: (state: State, dir: string) => Promise<T>): Promise<T> {
  const dir = await tempDir();
  const state = await State.open(dir, 'test');
  try {
    return await work(state, dir);
  } finally {
    await state.close();
  }
}

describe('staging a page', () => {
  it('stages new turns in (workspace, thread, time, id) key order', async () => {
    await withState(async (state) => {
      const counts = await stageRecords(state, [record(3, { workspaceId: 2 }), record(2, { thread_id: 5 }), record(1)], options);
      assert.equal(counts.staged, 3);
      const ids = (await levelsOf(state).turns.values().all()).map((t) => t.id);
      assert.deepEqual(ids, [1, 2, 3]);
    });
  });

  it('ignores a re-read copy that says the same, and replaces a staged copy that says something else (DESIGN §1)', async () => {
    await withState(async (state) => {
      await stageRecords(state, [record(1, { lastUpdatedAt: '2026-11-24T01:00:00Z' })], options);
      const same = await stageRecords(state, [record(1, { lastUpdatedAt: '2026-11-24T01:00:00Z' })], options);
      assert.equal(same.ignored, 1);
      const edited = await stageRecords(state, [record(1, { lastUpdatedAt: '2026-11-24T01:00:00Z', response: '{"text":"edited"}' })], options);
      assert.equal(edited.updated, 1, 'an edit keeps lastUpdatedAt and still replaces the staged copy');
      const newer = await stageRecords(state, [record(1, { lastUpdatedAt: '2026-11-24T02:00:00Z', response: '{"text":"regenerated"}' })], options);
      assert.equal(newer.updated, 1);
      const stale = await stageRecords(state, [record(1, { lastUpdatedAt: '2026-11-24T01:00:00Z', response: '{"text":"stale"}' })], options);
      assert.equal(stale.ignored, 1, 'a copy with an older lastUpdatedAt is stale');
      const turns = await levelsOf(state).turns.values().all();
      assert.deepEqual(turns.map((t) => t.reply), ['regenerated']);
    });
  });

  it('unstages a chat hidden since it was staged, and stages a hidden chat once it is shown (a completed agent chat)', async () => {
    await withState(async (state) => {
      await stageRecords(state, [record(1), record(2, { include: false, response: '{}' })], options);
      const reread = await stageRecords(state, [record(1, { include: false }), record(2, { lastUpdatedAt: '2026-11-24T02:00:00Z', response: '{"text":"agent reply"}' })], options);
      assert.deepEqual([reread.updated, reread.staged], [1, 1]);
      const turns = await levelsOf(state).turns.values().all();
      assert.deepEqual(turns.map((t) => [t.id, t.reply]), [[2, 'agent reply']]);
    });
  });

  it('moves a staged chat whose history changed to its history key', async () => {
    await withState(async (state) => {
      await stageRecords(state, [record(1, { thread_id: null, user_id: null })], options);
      const moved = await stageRecords(state, [record(1, { thread_id: null, user_id: 4 })], options);
      assert.equal(moved.updated, 1);
      const keys = await levelsOf(state).turns.keys().all();
      assert.equal(keys.length, 1);
      assert.match(keys[0] ?? '', /^0000000000000001:-0000000000000004:-:/);
    });
  });

  it('ignores a copy of a chat already handed to delivery', async () => {
    await withState(async (state) => {
      await levelsOf(state).chats.put(padId(9), { s: 'conv', c: 'conv_a' });
      const counts = await stageRecords(state, [record(9, { lastUpdatedAt: '2026-11-24T08:00:00Z' })], options);
      assert.equal(counts.ignored, 1);
      assert.equal((await levelsOf(state).turns.keys().all()).length, 0);
    });
  });

  it('a copy whose identity differs from the chat under its id is another chat: a staged one is gone and replaced, a sent one stays sent and the new one is staged apart (DESIGN §1 "A chat\'s identity")', async () => {
    await withState(async (state) => {
      await stageRecords(state, [record(1, { user_id: 2 })], options);
      const later = new Date(realNowMs - 3_600_000).toISOString();
      const replaced = await stageRecords(state, [record(1, { user_id: 2, createdAt: later, prompt: 'another chat' })], options);
      assert.deepEqual([replaced.gone, replaced.staged, replaced.reusedIds, replaced.updated], [1, 1, 1, 0]);
      assert.deepEqual((await levelsOf(state).turns.values().all()).map((t) => [t.prompt, t.reused]), [['another chat', undefined]], 'never sent: its conversation id needs nothing more');

      const sent = record(2, { user_id: 2 });
      const [turn] = normalisePage([sent], realNowMs).flatMap((r) => (r.kind === 'turn' ? [r.turn] : []));
      await levelsOf(state).chats.put(padId(2), frozenMark('conv_sent', turn!));
      await levelsOf(state).sent.put('conv_sent', { history: 'h', startedAt: later, endedAt: later, chats: 1, sentAt: later });
      assert.equal((await stageRecords(state, [sent], options)).ignored, 1, 'the same chat again: ignored');
      const reused = await stageRecords(state, [record(2, { user_id: 2, createdAt: later, lastUpdatedAt: '2020-01-01T00:00:00Z' })], options);
      assert.deepEqual([reused.staged, reused.reusedIds, reused.changedAfterSend], [1, 1, 0], 'staged as new, never a change after sending, whatever its lastUpdatedAt');
      const staged = (await levelsOf(state).turns.values().all()).find((t) => t.id === 2);
      assert.equal(staged?.reused, chatIdentity(staged!));
    });
  });

  it('skips hidden chats and counts them once; --include-hidden keeps them', async () => {
    await withState(async (state) => {
      const first = await stageRecords(state, [record(1, { include: false })], options);
      const second = await stageRecords(state, [record(1, { include: false })], options);
      assert.deepEqual([first.skipped, second.skipped, second.ignored], [1, 0, 1]);
      const kept = await stageRecords(state, [record(2, { include: false })], { ...options, includeHidden: true });
      assert.equal(kept.staged, 1);
    });
  });

  it('quarantines bad records once, with the reason and the raw record, and goes on', async () => {
    await withState(async (state) => {
      const bad = [record(1, { createdAt: 'yesterday' }), { prompt: 'no id' }, record(2)];
      const first = await stageRecords(state, bad, options);
      const again = await stageRecords(state, bad, options);
      assert.deepEqual([first.quarantined, first.staged, again.quarantined], [2, 1, 0]);
      const kept = await levelsOf(state).quarantine.values().all();
      assert.deepEqual(kept.map((q) => q.reason).sort(), ['createdAt "yesterday" is not an ISO-8601 date', 'id missing is not a non-negative integer']);
      assert.deepEqual(kept.find((q) => q.id === 1)?.raw, bad[0]);
    });
  });

  it('stages a good copy of a chat id whose other copy was quarantined', async () => {
    await withState(async (state) => {
      const counts = await stageRecords(state, [record(5, { prompt: 12 }), record(5)], options);
      assert.deepEqual([counts.quarantined, counts.staged], [1, 1]);
    });
  });

  it('writes turn keys whose byte order is the numeric order', () => {
    const a = turnKey({ workspaceId: 2, threadId: null, userId: 9, apiSessionId: null, createdAt: 5, id: 1 });
    const b = turnKey({ workspaceId: 10, threadId: null, userId: null, apiSessionId: 's', createdAt: 1, id: 1 });
    const c = turnKey({ workspaceId: 10, threadId: 3, userId: 1, apiSessionId: null, createdAt: 1, id: 1 });
    assert.ok(a < b && b < c);
  });
});

describe('how far a night re-reads (DESIGN §1)', () => {
  it('reaches back to the first turn of every open conversation, not to closed ones waiting for delivery', async () => {
    await withState(async (state) => {
      const hour = 3_600_000;
      const at = (ms: number) => new Date(realNowMs - ms).toISOString();
      // Thread 5: chats 1–2 ended 5 h ago (closed). Thread 6: chat 3 at 5 h ago, chats 9 and 4 within the last hour (open,
      // its first turn chat 9 by time but chat 4 by id). Chat 7 in thread 5, 30 minutes ago: open on its own.
      await stageRecords(state, [record(1, { thread_id: 5, createdAt: at(6 * hour) }), record(2, { thread_id: 5, createdAt: at(5 * hour) }), record(3, { thread_id: 6, createdAt: at(5 * hour) }), record(9, { thread_id: 6, createdAt: at(50 * 60_000) }), record(4, { thread_id: 6, createdAt: at(20 * 60_000) }), record(7, { thread_id: 5, createdAt: at(30 * 60_000) })], options);
      assert.equal(await lowestOpenChatId(state, { gapMs: hour, nowMs: realNowMs }), 4);
      assert.equal(await lowestOpenChatId(state, { gapMs: hour, nowMs: realNowMs + 2 * hour }), undefined, 'all closed two hours later');
    });
  });
});

describe('opening the state', () => {
  it('refuses a second holder with one line naming the first (pid, command, start)', async () => {
    await withState(async (_state, dir) => {
      await assert.rejects(State.open(dir, 'memory-cron second'), (error) => {
        assert.ok(isMcError(error, 'MC_LOCKED'));
        assert.match(error.message, new RegExp(`another memory-cron run holds .* \\(pid ${process.pid}, \`test\`, since \\d{4}-`));
        return true;
      });
    });
  });

  it('refuses a state written by a newer schema and leaves it as it was', async () => {
    const dir = await tempDir();
    const state = await State.open(dir, 'test');
    await levelsOf(state).meta.put('schema', schemaVersion + 1);
    await state.close();
    await assert.rejects(State.open(dir, 'test'), (error) => isMcError(error, 'MC_STATE_NEWER'));
    const again = await State.open(dir, 'test').catch((error: unknown) => error);
    assert.ok(isMcError(again, 'MC_STATE_NEWER'), 'still refused: nothing was rewritten');
  });

  it('refuses a database whose CURRENT file was deleted instead of starting afresh', async () => {
    const dir = await tempDir();
    const state = await State.open(dir, 'test');
    await levelsOf(state).meta.put('cursor', { id: 1, createdAt: null, movedAt: 'x' });
    await state.close();
    await rm(join(dir, 'db', 'CURRENT'));
    await assert.rejects(State.open(dir, 'test'), (error) => isMcError(error, 'MC_STATE_DAMAGED') && /CURRENT is missing/.test(error.message));
  });

  it('refuses an empty database where status.json shows earlier runs', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'status.json'), JSON.stringify({ lastRun: { startedAt: 'x' } }));
    await assert.rejects(State.open(dir, 'test'), (error) => isMcError(error, 'MC_STATE_DAMAGED'));
  });
});

describe('temporary files', () => {
  it('a run removes the temporary status files a killed run left behind', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, '.status.json.deadbeef.tmp'), '{');
    const state = await State.open(dir, 'test');
    await state.close();
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.tmp')), []);
  });
});
