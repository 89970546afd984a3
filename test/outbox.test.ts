import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMcError } from '../src/errors.js';
import { chatIdentity } from '../src/domain/chat-identity.js';
import { chatDigest } from '../src/domain/chat-digest.js';
import { bodyOf } from '../src/delivery/frozen-body.js';
import { levelsOf } from '../src/store/levels.js';
import { inShortReads } from '../src/store/short-reads.js';
import { normalisePage } from '../src/source/normalise-page.js';
import { stagePage } from '../src/staging/stage-page.js';
import { State } from '../src/store/state.js';
import { toConversation } from '../src/conversations/conversation.js';
import type { Turn } from '../src/domain/turn.js';
import { tempDir } from './helpers/temp-dir.js';
import { padId } from '../src/domain/fixed-width.js';

const realNowMs = Date.parse('2026-11-24T09:00:00Z');
const record = (id: number) => ({ id, workspaceId: 1, thread_id: 7, prompt: `p${id}`, response: '{"text":"r"}', createdAt: new Date(realNowMs - 10 * 3_600_000 + id * 60_000).toISOString() });

async function withState(work: (state: State) => Promise<void>): Promise<void> {
  const state = await State.open(await tempDir(), 'test');
  try {
    await work(state);
  } finally {
    await state.close();
  }
}

// Stages chats `ids` and freezes them as one conversation; its outbox entry and body.
async function frozenConversation(state: State, ids: number[]) {
  await stagePage(state, normalisePage(ids.map(record), realNowMs), { includeHidden: false, realNowMs });
  const turns = (await levelsOf(state).turns.values().all()) as Turn[];
  const conversation = toConversation('conv_test', turns, null);
  return { entry: await state.freeze(conversation, turns, new Date(realNowMs)), conversation };
}

describe('the outbox keeps turn keys, not messages (DESIGN §4)', () => {
  it('rebuilds exactly the frozen body from the turns, which stay staged until the 2xx', async () => {
    await withState(async (state) => {
      const { entry, conversation } = await frozenConversation(state, [1, 2, 3]);
      const stored = await levelsOf(state).outbox.get('conv_test');
      assert.equal(stored?.conversation.messages, undefined, 'no messages in the entry');
      assert.deepEqual(stored?.turnKeys, entry.turnKeys);
      assert.equal(JSON.stringify(bodyOf((await state.frozenConversation('conv_test'))!)), JSON.stringify(conversation), 'byte for byte the same body');
      const [turn2] = (await levelsOf(state).turns.values().all()).filter((turn) => turn.id === 2);
      assert.deepEqual(await levelsOf(state).chats.get(padId(2)), { s: 'conv', c: 'conv_test', h: chatDigest(turn2!), i: chatIdentity(turn2!) }, 'marked with its conversation, a digest of what it said and of its identity, never its text');
    });
  });

  it('drops an entry whose conversation was already sent (a copy the storage brought back) and refuses one that was not', async () => {
    await withState(async (state) => {
      await frozenConversation(state, [1, 2]);
      await levelsOf(state).turns.clear();
      await assert.rejects(state.frozenConversation('conv_test'), (error) => isMcError(error) && error.code === 'MC_STATE_DAMAGED' && /2 turns of frozen conversation conv_test are missing/.test(error.message));
      await levelsOf(state).sent.put('conv_test', { history: 'x', startedAt: '', endedAt: '', chats: 2, sentAt: '' });
      assert.equal(await state.frozenConversation('conv_test'), undefined);
      assert.equal(await levelsOf(state).outbox.get('conv_test'), undefined, 'the stale entry is gone');
    });
  });
});

describe('inShortReads', () => {
  it('reads every entry in key order, and holds no snapshot between reads: a key written ahead meanwhile is seen', async () => {
    await withState(async (state) => {
      const keys = Array.from({ length: 700 }, (_, i) => padId(2 * i));
      const { meta } = levelsOf(state);
      await meta.batch(keys.map((key) => ({ type: 'put' as const, key, value: 1 })));
      const seen: string[] = [];
      for await (const [key] of inShortReads(meta)) {
        seen.push(key);
        if (seen.length === 1) await meta.put(padId(1001), 2); // far ahead of the first read
      }
      const expected = [...keys, padId(1001), 'schema'].sort();
      assert.deepEqual(seen, expected);
    });
  });
});
