import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMcError } from '../src/errors.js';
import { GroupCommit } from '../src/store/group-commit.js';
import { chatIdentity } from '../src/domain/chat-identity.js';
import { chatDigest } from '../src/domain/chat-digest.js';
import { turnKey } from '../src/store/keys.js';
import { bodyOf, freeze } from '../src/store/outbox.js';
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
  const turns = (await state.turns.values().all()) as Turn[];
  const conversation = toConversation('conv_test', turns, null);
  return freeze(new GroupCommit(state), state, conversation, { turns, turnKeys: turns.map(turnKey) }, new Date(realNowMs));
}

describe('the outbox keeps turn keys, not messages (DESIGN §4)', () => {
  it('rebuilds exactly the frozen body from the turns, which stay staged until the 2xx', async () => {
    await withState(async (state) => {
      const { entry, conversation } = await frozenConversation(state, [1, 2, 3]);
      const stored = await state.outbox.get('conv_test');
      assert.equal(stored?.conversation.messages, undefined, 'no messages in the entry');
      assert.deepEqual(stored?.turnKeys, entry.turnKeys);
      assert.equal(JSON.stringify(await bodyOf(state, stored!)), JSON.stringify(conversation), 'byte for byte the same body');
      const [turn2] = (await state.turns.values().all()).filter((turn) => turn.id === 2);
      assert.deepEqual(await state.chats.get(padId(2)), { s: 'conv', c: 'conv_test', h: chatDigest(turn2!), i: chatIdentity(turn2!) }, 'marked with its conversation, a digest of what it said and of its identity, never its text');
    });
  });

  it('drops an entry whose conversation was already sent (a copy the storage brought back) and refuses one that was not', async () => {
    await withState(async (state) => {
      const { entry } = await frozenConversation(state, [1, 2]);
      await state.turns.clear();
      await assert.rejects(bodyOf(state, entry), (error) => isMcError(error) && error.code === 'MC_STATE_DAMAGED' && /2 turns of frozen conversation conv_test are missing/.test(error.message));
      await state.sent.put('conv_test', { history: 'x', startedAt: '', endedAt: '', chats: 2, sentAt: '' });
      assert.equal(await bodyOf(state, entry), undefined);
      assert.equal(await state.outbox.get('conv_test'), undefined, 'the stale entry is gone');
    });
  });
});

describe('inShortReads', () => {
  it('reads every entry in key order, and holds no snapshot between reads: a key written ahead meanwhile is seen', async () => {
    await withState(async (state) => {
      const keys = Array.from({ length: 700 }, (_, i) => padId(2 * i));
      await state.meta.batch(keys.map((key) => ({ type: 'put' as const, key, value: 1 })));
      const seen: string[] = [];
      for await (const [key] of inShortReads(state.meta)) {
        seen.push(key);
        if (seen.length === 1) await state.meta.put(padId(1001), 2); // far ahead of the first read
      }
      const expected = [...keys, padId(1001), 'schema'].sort();
      assert.deepEqual(seen, expected);
    });
  });
});
