import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conversationId, conversationIdOf } from '../src/conversations/conversation-id.js';
import { buildConversation, continuesFrom, toConversation } from '../src/conversations/conversation.js';
import { rollingGap } from '../src/conversations/rolling-gap.js';
import { collectAll, hour, minute, t0, turn } from './helpers/turns.js';

const gap = { gapMs: hour, nowMs: t0 + 100 * hour };
const ids = async (turns: Parameters<typeof rollingGap>[0], options: Parameters<typeof rollingGap>[1] = gap) => (await collectAll(rollingGap(turns, options))).map((run) => run.turns.map((t) => t.id));

describe('rolling gap', () => {
  it("splits the users' own example as they described it", async () => {
    const at = (h: number, m: number) => t0 + h * hour + m * minute; // 10:00 is h=0
    const turns = [turn({ id: 1, createdAt: at(0, 0) }), turn({ id: 2, createdAt: at(0, 30) }), turn({ id: 3, createdAt: at(1, 20) }), turn({ id: 4, createdAt: at(2, 45) }), turn({ id: 5, createdAt: at(3, 15) })];
    assert.deepEqual(await ids(turns), [[1, 2, 3], [4, 5]]);
  });

  it('a gap of exactly the window stays in one conversation', async () => {
    assert.deepEqual(await ids([turn({ id: 1, createdAt: t0 }), turn({ id: 2, createdAt: t0 + hour })]), [[1, 2]]);
  });

  it('a gap one millisecond over the window starts a new conversation', async () => {
    assert.deepEqual(await ids([turn({ id: 1, createdAt: t0 }), turn({ id: 2, createdAt: t0 + hour + 1 })]), [[1], [2]]);
  });

  it('another thread or workspace starts a new conversation even within the window', async () => {
    const turns = [turn({ id: 1, createdAt: t0 }), turn({ id: 2, createdAt: t0 + minute, threadId: 7 }), turn({ id: 3, createdAt: t0 + 2 * minute, threadId: 7, workspaceId: 2 })];
    assert.deepEqual(await ids(turns), [[1], [2], [3]]);
  });

  it("in a workspace's default thread, each user and each API session is a history of its own (DESIGN §2)", async () => {
    const turns = [
      turn({ id: 1, createdAt: t0, userId: 1, user: 'alice' }),
      turn({ id: 2, createdAt: t0 + minute, userId: 1, user: 'alice' }),
      turn({ id: 3, createdAt: t0 + 2 * minute, userId: 2, user: 'bob' }),
      turn({ id: 4, createdAt: t0 + 3 * minute, userId: null, apiSessionId: 'slack-U111', user: 'API' }),
      turn({ id: 5, createdAt: t0 + 4 * minute, userId: null, apiSessionId: 'slack-U222', user: 'API' }),
    ];
    assert.deepEqual(await ids(turns), [[1, 2], [3], [4], [5]]);
  });

  it('a thread is one history whoever wrote in it', async () => {
    const turns = [turn({ id: 1, createdAt: t0, threadId: 7, userId: 1 }), turn({ id: 2, createdAt: t0 + minute, threadId: 7, userId: 2 })];
    assert.deepEqual(await ids(turns), [[1, 2]]);
  });

  it('a conversation is closed only when now is more than the gap after its last turn', async () => {
    const turns = [turn({ id: 1, createdAt: t0 })];
    assert.equal((await collectAll(rollingGap(turns, { gapMs: hour, nowMs: t0 + hour })))[0]?.closed, false);
    assert.equal((await collectAll(rollingGap(turns, { gapMs: hour, nowMs: t0 + hour + 1 })))[0]?.closed, true);
  });

  it('yields nothing for no turns', async () => {
    assert.deepEqual(await ids([]), []);
  });
});

describe('caps (DESIGN §2 "Caps")', () => {
  const every = (count: number, stepMs: number, fields = {}) => Array.from({ length: count }, (_, i) => turn({ id: i + 1, createdAt: t0 + i * stepMs, ...fields }));

  it('a turn further than MAX_CONVERSATION_SPAN from the first turn opens the next part, which is closed at once; a span of exactly the cap stays', async () => {
    const runs = await collectAll(rollingGap(every(7, 40 * minute), { gapMs: hour, nowMs: t0 + 4 * hour, maxSpanMs: 2 * hour }));
    assert.deepEqual(runs.map((run) => [run.turns.map((t) => t.id), run.closed, run.cut]), [[[1, 2, 3, 4], true, 'span'], [[5, 6, 7], false, undefined]]);
  });

  it('a turn that would make the JSON body larger than MAX_CONVERSATION_BYTES opens the next part; every part fits, as measured on the body the webhook gets', async () => {
    const turns = every(12, minute, { prompt: 'é'.repeat(100) });
    const maxBytes = 1500;
    const runs = await collectAll(rollingGap(turns, { gapMs: hour, nowMs: t0 + 2 * hour, maxBytes }));
    assert.deepEqual(runs.flatMap((run) => run.turns.map((t) => t.id)), turns.map((t) => t.id));
    assert.ok(runs.length > 2);
    for (const run of runs) {
      const longest = `conv_${'x'.repeat(32)}`;
      const size = Buffer.byteLength(JSON.stringify(toConversation(longest, run.turns, longest)), 'utf8');
      assert.ok(size <= maxBytes, `${size} bytes`);
      const withNext = turns[(run.turns.at(-1) as { id: number }).id];
      if (withNext !== undefined) assert.ok(Buffer.byteLength(JSON.stringify(toConversation(longest, [...run.turns, withNext], longest)), 'utf8') > maxBytes, 'cut only when the next turn would not fit');
    }
  });

  it('one turn larger than MAX_CONVERSATION_BYTES is a conversation of its own, never split', async () => {
    const turns = [turn({ id: 1, createdAt: t0 }), turn({ id: 2, createdAt: t0 + minute, prompt: 'x'.repeat(5000) }), turn({ id: 3, createdAt: t0 + 2 * minute })];
    assert.deepEqual(await ids(turns, { ...gap, maxBytes: 2000 }), [[1], [2], [3]]);
  });

  it('0 turns a cap off', async () => {
    assert.deepEqual(await ids(every(50, 50 * minute), { ...gap, maxSpanMs: 0, maxBytes: 0 }), [every(50, 50 * minute).map((t) => t.id)]);
  });
});

describe('continues', () => {
  const sent = { id: 'conv_a', startedAt: t0 - hour, endedAt: t0 };

  it("names the history's latest sent conversation when it ended within the gap before this one starts", () => {
    assert.equal(continuesFrom(sent, t0 + hour, hour), 'conv_a');
    assert.equal(continuesFrom(sent, t0, hour), 'conv_a');
    assert.equal(continuesFrom(sent, t0 + hour + 1, hour), null);
    assert.equal(continuesFrom(undefined, t0, hour), null);
  });

  it('never names a conversation that ended after this one starts', () => {
    assert.equal(continuesFrom(sent, t0 - minute, hour), null);
    assert.equal(continuesFrom(sent, t0 - 3 * hour, hour), null);
  });
});

describe('conversation body', () => {
  it('holds a user and an assistant message per turn, leaving out empty replies', () => {
    const body = toConversation('conv_x', [turn({ id: 1, createdAt: t0, userId: 4 }), turn({ id: 2, createdAt: t0 + minute, reply: '', userId: 4 })], null);
    assert.deepEqual(
      body.messages.map((m) => [m.chatId, m.role, m.user]),
      [
        [1, 'user', 'alice'],
        [1, 'assistant', undefined],
        [2, 'user', 'alice'],
      ],
    );
    assert.deepEqual(body.user, { id: 4, username: 'alice' });
    assert.equal(body.apiSessionId, null);
    assert.equal(body.startedAt, new Date(t0).toISOString());
    assert.equal(body.endedAt, new Date(t0 + minute).toISOString());
    assert.deepEqual(body.workspace, { id: 1, name: 'Sales', slug: 'sales' });
    assert.equal(body.threadId, null);
  });

  it('carries no user for an API session, and names the session (DESIGN §3)', () => {
    const body = toConversation('conv_x', [turn({ id: 1, createdAt: t0, userId: null, apiSessionId: 'slack-U111', user: 'API' })], null);
    assert.equal(body.user, null);
    assert.equal(body.apiSessionId, 'slack-U111');
    assert.equal(body.messages[0]?.user, undefined, 'the "API" placeholder is no username');
  });

  it('refuses an empty conversation as a programming error', () => {
    assert.throws(() => toConversation('conv_x', [], null), TypeError);
  });
});

describe('building a conversation (DESIGN §2 `continues`, §3 body)', () => {
  // A closed run of one history: 10:00, 10:40, 11:30 (the first turn's time is what `continues` is measured to).
  const run = [turn({ id: 7, createdAt: t0, threadId: 3 }), turn({ id: 9, createdAt: t0 + 40 * minute, threadId: 3 }), turn({ id: 8, createdAt: t0 + 90 * minute, threadId: 3 })];
  const endedBefore = (ms: number) => ({ id: 'conv_previous', endedAt: t0 - ms });

  it('is the body of its turns, with the id of its chats', () => {
    const body = buildConversation(run, undefined, hour);
    assert.equal(body.id, conversationId(1, 3, [7, 8, 9]));
    assert.equal(body.id, conversationIdOf(run));
    assert.deepEqual(body, toConversation(body.id, run, null));
  });

  it('continues the previous conversation when it ended at most the gap before the first turn', () => {
    assert.equal(buildConversation(run, endedBefore(20 * minute), hour).continues, 'conv_previous', 'measured to the first turn (the last is 110 minutes after it)');
    assert.equal(buildConversation(run, endedBefore(hour), hour).continues, 'conv_previous', 'a gap of exactly the window counts');
    assert.equal(buildConversation(run, endedBefore(0), hour).continues, 'conv_previous', 'ending at the instant this one starts counts');
  });

  it('continues nothing when the previous conversation ended more than the gap before the first turn', () => {
    assert.equal(buildConversation(run, endedBefore(hour + 1), hour).continues, null);
    assert.equal(buildConversation(run, endedBefore(hour + 1), 2 * hour).continues, 'conv_previous', 'the gap is the one given');
  });

  it('continues nothing without a previous conversation, or one that ended after this one starts', () => {
    assert.equal(buildConversation(run, undefined, hour).continues, null);
    assert.equal(buildConversation(run, endedBefore(-minute), hour).continues, null);
    assert.equal(buildConversation(run, endedBefore(-2 * hour), hour).continues, null);
    assert.equal(buildConversation(run, endedBefore(-30 * minute), hour).continues, null, 'within the gap of the last turn, but after the first');
  });

  it('refuses an empty run as a programming error', () => {
    assert.throws(() => buildConversation([], undefined, hour), TypeError);
    assert.throws(() => conversationIdOf([]), TypeError);
  });
});

describe('conversation id', () => {
  it('is the same for the same chats in any order, and differs by thread or chats', () => {
    assert.equal(conversationId(1, null, [3, 1, 2]), conversationId(1, null, [1, 2, 3]));
    assert.notEqual(conversationId(1, null, [1, 2, 3]), conversationId(1, 4, [1, 2, 3]));
    assert.notEqual(conversationId(1, null, [1, 2, 3]), conversationId(1, null, [1, 2]));
    assert.match(conversationId(1, null, [1]), /^conv_[A-Za-z0-9_-]{32}$/);
  });

  it('a chat under a reused id gives its conversation another id than the same ids without it; without such chats the id is unchanged', () => {
    const plain = [turn({ id: 1, createdAt: t0 }), turn({ id: 2, createdAt: t0 + minute })];
    assert.equal(conversationIdOf(plain), conversationId(1, null, [1, 2]));
    const reused = [plain[0]!, { ...plain[1]!, reused: 'abcdef0123456789' }];
    assert.notEqual(conversationIdOf(reused), conversationIdOf(plain));
    assert.notEqual(conversationIdOf(reused), conversationIdOf([plain[0]!, { ...plain[1]!, reused: '0123456789abcdef' }]), 'each identity its own id');
    assert.equal(conversationIdOf(reused), conversationIdOf([...reused]), 'same chats, same id');
  });
});
