import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { historyKey } from '../src/domain/chat-history.js';
import { freezeRetractions } from '../src/retractions/freeze-retractions.js';
import { goneDigest } from '../src/domain/chat-digest.js';
import { chatKey } from '../src/store/keys.js';
import { levelsOf } from '../src/store/levels.js';
import type { ChangedChat, SentRecord } from '../src/store/records.js';
import { State } from '../src/store/state.js';
import { tempDir } from './helpers/temp-dir.js';

const seenAt = '2026-11-24T09:00:03.000Z';
const now = new Date('2026-11-24T09:10:00.000Z');
const sentAt = { startedAt: '2026-11-23T16:00:00.000Z', endedAt: '2026-11-23T16:50:00.000Z', chats: 2, sentAt: '2026-11-23T18:00:00.000Z' };

// A state holding sent conversations and, for some of their chats, a deletion found and not yet frozen.
async function stateWith(sent: Record<string, SentRecord>, deleted: Record<number, string>): Promise<State> {
  const state = await State.open(join(await tempDir(), 'state'), 'test');
  const levels = levelsOf(state);
  for (const [id, record] of Object.entries(sent)) await levels.sent.put(id, record);
  for (const [chatId, conversation] of Object.entries(deleted)) {
    await levels.changed.put(chatKey(Number(chatId)), { c: conversation, p: { kind: 'deleted', h: goneDigest, seenAt } } satisfies ChangedChat);
  }
  return state;
}

describe('freezing retractions', () => {
  it('a conversation sent before its head was kept is named by its history key: a default thread of one user and API session', async () => {
    const history = historyKey({ workspaceId: 3, threadId: null, userId: 4, apiSessionId: 'slack:U 1' });
    const state = await stateWith({ conv_a: { history, ...sentAt } }, { 1234: 'conv_a', 1240: 'conv_a' });
    try {
      const [id] = await freezeRetractions(state, now);
      const [entry] = await state.retractionEntries(['pending']);
      assert.equal(entry?.body.id, id);
      const { body } = entry!;
      assert.deepEqual([body.workspace, body.threadId, body.user, body.apiSessionId], [{ id: 3, name: '', slug: '' }, null, { id: 4, username: null }, 'slack:U 1']);
      assert.deepEqual(body.chats, [{ chatId: 1234, change: 'deleted' }, { chatId: 1240, change: 'deleted' }]);
      assert.deepEqual(entry!.told, [{ chatId: 1234, h: goneDigest }, { chatId: 1240, h: goneDigest }]);
      assert.equal(body.seenAt, seenAt);
    } finally {
      await state.close();
    }
  });

  it('a conversation sent before schema 3 is named by its thread key: a numbered thread, or the default thread with no user', async () => {
    const state = await stateWith({ conv_t: { thread: '0000000000000003:0000000000000017', ...sentAt }, conv_d: { thread: '0000000000000005:-', ...sentAt } }, { 10: 'conv_t', 20: 'conv_d' });
    try {
      await freezeRetractions(state, now);
      const heads = (await state.retractionEntries(['pending'])).map(({ body }) => [body.conversation, body.workspace.id, body.threadId, body.user, body.apiSessionId]);
      assert.deepEqual(heads.sort(), [['conv_d', 5, null, null, null], ['conv_t', 3, 17, null, null]]);
    } finally {
      await state.close();
    }
  });

  it('the changes of a conversation not yet sent wait, and a frozen change is not frozen twice', async () => {
    const history = historyKey({ workspaceId: 1, threadId: 2, userId: null, apiSessionId: null });
    const state = await stateWith({ conv_sent: { history, ...sentAt } }, { 1: 'conv_sent', 2: 'conv_unsent' });
    try {
      assert.equal((await freezeRetractions(state, now)).length, 1);
      assert.deepEqual((await state.retractionEntries(['pending'])).map(({ body }) => body.conversation), ['conv_sent']);
      assert.deepEqual([...(await state.changesToFreeze()).keys()], ['conv_unsent']);
      assert.deepEqual(await freezeRetractions(state, now), []);
      assert.deepEqual(await state.retractionTotals(), { retractionsSent: 0, retractionsWaiting: 2, retractionsDead: 0, retractionsParked: 0 });
    } finally {
      await state.close();
    }
  });

  it('an accepted retraction leaves the outbox and is counted sent; a failed one stays, dead or parked', async () => {
    const history = historyKey({ workspaceId: 1, threadId: 2, userId: null, apiSessionId: null });
    const state = await stateWith({ conv_a: { history, ...sentAt }, conv_b: { history, ...sentAt } }, { 1: 'conv_a', 2: 'conv_b' });
    try {
      await freezeRetractions(state, now);
      const [a, b] = await state.retractionEntries(['pending']);
      await state.markRetracted(a!, now);
      await state.markRetractionFailed(b!, 'parked', 'HTTP 422', now);
      assert.deepEqual(await state.changesToFreeze(), new Map());
      assert.deepEqual((await state.retractionEntries(['parked'])).map((entry) => [entry.body.id, entry.attempts, entry.lastError]), [[b!.body.id, 1, 'HTTP 422']]);
      assert.deepEqual(await state.retractionTotals(), { retractionsSent: 1, retractionsWaiting: 0, retractionsDead: 0, retractionsParked: 1 });
    } finally {
      await state.close();
    }
  });
});
