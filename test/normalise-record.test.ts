import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseRecord, replyText } from '../src/source/normalise-record.js';

const realNow = Date.parse('2026-11-24T09:00:00Z');
const good = {
  id: 42,
  workspaceId: 3,
  prompt: 'Hello?',
  response: JSON.stringify({ text: 'Hi!', sources: [], type: 'chat' }),
  include: true,
  user_id: 1,
  thread_id: 17,
  api_session_id: null,
  createdAt: '2026-11-23T16:00:00.000Z',
  lastUpdatedAt: '2026-11-23T16:05:00.000Z',
  workspace: { name: 'Sales', slug: 'sales' },
  user: { username: 'alice' },
  somethingNew: 'unknown fields are fine',
};

function reasonOf(record: unknown): string {
  const result = normaliseRecord(record, realNow);
  assert.equal(result.kind, 'bad', `expected ${JSON.stringify(record)?.slice(0, 80)} to be quarantined`);
  return result.kind === 'bad' ? result.reason : '';
}

describe('normalising a record', () => {
  it('keeps a good record with its reply text, thread, user and times', () => {
    const result = normaliseRecord(good, realNow);
    assert.equal(result.kind, 'turn');
    if (result.kind !== 'turn') return;
    assert.deepEqual(result.turn, {
      id: 42,
      workspaceId: 3,
      workspaceName: 'Sales',
      workspaceSlug: 'sales',
      threadId: 17,
      userId: 1,
      apiSessionId: null,
      createdAt: Date.parse('2026-11-23T16:00:00Z'),
      updatedAt: Date.parse('2026-11-23T16:05:00Z'),
      user: 'alice',
      prompt: 'Hello?',
      reply: 'Hi!',
      include: true,
    });
  });

  it('keeps the developer API session of a chat without a user, and quarantines wrong history fields', () => {
    const result = normaliseRecord({ ...good, thread_id: null, user_id: null, api_session_id: 'slack-U111', user: { username: 'API' } }, realNow);
    assert.ok(result.kind === 'turn' && result.turn.userId === null && result.turn.apiSessionId === 'slack-U111');
    const wrongUser = normaliseRecord({ ...good, user_id: '1' }, realNow);
    assert.ok(wrongUser.kind === 'bad' && /^user_id "1"/.test(wrongUser.reason));
    const wrongSession = normaliseRecord({ ...good, api_session_id: 7 }, realNow);
    assert.ok(wrongSession.kind === 'bad' && /^api_session_id number 7/.test(wrongSession.reason));
  });

  it('takes a missing thread_id as the default thread and a missing include as true', () => {
    const { thread_id: _thread, include: _include, ...rest } = good;
    const result = normaliseRecord(rest, realNow);
    assert.ok(result.kind === 'turn' && result.turn.threadId === null && result.turn.include);
  });

  it('reads an agent row\'s "{}" response as an empty reply', () => {
    assert.equal(replyText('{}'), '');
  });

  it('reads unparsable and non-object JSON responses as plain text', () => {
    assert.equal(replyText('just text, not JSON'), 'just text, not JSON');
    assert.equal(replyText('"a JSON string"'), '"a JSON string"');
    assert.equal(replyText('[1,2]'), '[1,2]');
    assert.equal(replyText('42'), '42');
  });

  it('keeps unicode and a 200 KB prompt intact, and replaces lone surrogates', () => {
    const big = '日本語 🎉 '.repeat(20_000);
    const result = normaliseRecord({ ...good, prompt: big, response: JSON.stringify({ text: 'bad \ud800 half' }) }, realNow);
    assert.ok(result.kind === 'turn');
    if (result.kind !== 'turn') return;
    assert.equal(result.turn.prompt, big);
    assert.equal(result.turn.reply, 'bad \ufffd half');
  });

  it('quarantines each kind of bad record with a reason naming the field', () => {
    assert.match(reasonOf(null), /not an object/);
    assert.match(reasonOf('text'), /not an object/);
    assert.match(reasonOf({ ...good, id: undefined }), /^id missing/);
    assert.match(reasonOf({ ...good, id: -1 }), /^id/);
    assert.match(reasonOf({ ...good, id: 1.5 }), /^id/);
    assert.match(reasonOf({ ...good, id: '42' }), /^id "42"/);
    assert.match(reasonOf({ ...good, workspaceId: '3' }), /^workspaceId/);
    assert.match(reasonOf({ ...good, thread_id: 'x' }), /^thread_id/);
    assert.match(reasonOf({ ...good, createdAt: 'not a date' }), /^createdAt "not a date"/);
    assert.match(reasonOf({ ...good, createdAt: '2026-02-31T25:00:00Z' }), /^createdAt/);
    assert.match(reasonOf({ ...good, createdAt: undefined }), /^createdAt missing/);
    assert.match(reasonOf({ ...good, createdAt: '2026-11-26T09:00:00Z' }), /more than a day in the future/);
    assert.match(reasonOf({ ...good, lastUpdatedAt: 12 }), /^lastUpdatedAt/);
    assert.match(reasonOf({ ...good, prompt: 7 }), /^prompt/);
    assert.match(reasonOf({ ...good, response: { text: 'x' } }), /^response/);
    assert.match(reasonOf({ ...good, include: 'yes' }), /^include/);
  });

  it('keeps a turn later than --now but within a day of the real clock', () => {
    assert.equal(normaliseRecord({ ...good, createdAt: '2026-11-25T08:00:00Z' }, realNow).kind, 'turn');
  });
});
