import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messagesNow } from '../src/staging/change-finder.js';
import { retractionId } from '../src/retractions/retraction-id.js';
import { hiddenDigest, saysTheSame, toldDigest } from '../src/staging/told-digest.js';
import { chatDigest } from '../src/domain/chat-digest.js';

const seenAt = '2026-11-24T09:00:03.000Z';
const edit = { chatId: 402, change: 'edited', h: 'a1b2c3d4e5f60718', seenAt };
const hide = { chatId: 403, change: 'hidden', h: hiddenDigest, seenAt };

describe('retraction ids and what a chat was told (DESIGN §3b)', () => {
  it('the same changes give the same id in any order; another change, conversation or sighting another id', () => {
    const id = retractionId('conv_a', [edit, hide]);
    assert.match(id, /^ret_[A-Za-z0-9_-]{32}$/);
    assert.equal(retractionId('conv_a', [hide, edit]), id);
    assert.notEqual(retractionId('conv_b', [edit, hide]), id);
    assert.notEqual(retractionId('conv_a', [{ ...edit, h: '0000000000000000' }, hide]), id, 'a second edit');
    assert.notEqual(retractionId('conv_a', [{ ...edit, seenAt: '2026-11-25T09:00:00.000Z' }, hide]), id, 'the same text coming back later');
    assert.notEqual(retractionId('conv_a', [edit]), id);
  });

  it('a hidden chat is told as hidden whatever its hidden copy says; a shown one by what it says', () => {
    const shown = { prompt: 'p', reply: 'r', include: true };
    assert.equal(toldDigest({ ...shown, include: false }), hiddenDigest);
    assert.equal(toldDigest({ prompt: 'edited while hidden', reply: 'r', include: false }), hiddenDigest);
    assert.equal(toldDigest(shown), chatDigest(shown));
    assert.ok(saysTheSame({ ...shown, include: false }, chatDigest({ ...shown, include: false })), 'a chat sent while hidden (INCLUDE_HIDDEN) is unchanged');
    assert.ok(!saysTheSame({ ...shown, prompt: 'p2' }, chatDigest(shown)));
  });

  it("an edited chat's text now: the prompt, then the reply when there is one", () => {
    assert.deepEqual(messagesNow({ prompt: 'p', reply: 'r' }), [{ role: 'user', content: 'p' }, { role: 'assistant', content: 'r' }]);
    assert.deepEqual(messagesNow({ prompt: 'p', reply: '' }), [{ role: 'user', content: 'p' }]);
  });
});
