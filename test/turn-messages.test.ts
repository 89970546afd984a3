import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutReasoning } from '../src/conversations/reasoning.js';
import { turnMessages } from '../src/conversations/turn-messages.js';
import { chatDigest } from '../src/domain/chat-digest.js';
import { t0, turn } from './helpers/turns.js';

describe('reasoning in a reply', () => {
  it('is removed, <think> and <thinking> alike, with the whitespace around it tidied', () => {
    assert.equal(withoutReasoning('<think>\nThe user wants a price.\nLet me look.\n</think>\n\nThe price is $40.'), 'The price is $40.');
    assert.equal(withoutReasoning('First.\n\n<thinking>why</thinking>\n\n\nSecond.'), 'First.\n\nSecond.');
    assert.equal(withoutReasoning('A <THINK>x</THINK>B'), 'A\n\nB');
    assert.equal(withoutReasoning('<think>cut short while reasoning'), '');
  });

  it('leaves a reply without reasoning byte for byte as it was', () => {
    for (const text of ['  spaced  \n\n\n\nout  ', 'a <b>bold</b> claim', 'think about <thinker> tags', '']) assert.equal(withoutReasoning(text), text);
  });
});

describe("a turn's messages", () => {
  const base = turn({ id: 9, createdAt: t0, userId: 4, user: 'alice', prompt: 'Price?', reply: '<think>hmm</think>\n$40.' });

  it('drop reasoning by default and keep it when asked; the digest reads the stored reply either way', () => {
    assert.equal(turnMessages(base)[1]?.content, '$40.');
    assert.equal(turnMessages(base, { keepReasoning: true })[1]?.content, '<think>hmm</think>\n$40.');
    assert.equal(chatDigest(base), chatDigest({ prompt: 'Price?', reply: '<think>hmm</think>\n$40.', include: true }));
  });

  it('leave out a reply that was only reasoning, as an empty one', () => {
    const musing = { ...base, reply: '<thinking>\nonly musing\n</thinking>\n' };
    assert.deepEqual(turnMessages(musing).map((m) => m.role), ['user']);
    assert.deepEqual(turnMessages(musing, { keepReasoning: true }).map((m) => m.role), ['user', 'assistant']);
  });

  it("put attachments on the user's message and sources on the assistant's, absent when none", () => {
    const rich = { ...base, attachments: [{ name: 'cat.jpg', mime: 'image/jpeg', bytes: 12 }], sources: [{ title: 'Q3 pricing', url: 'https://example.com/q3' }] };
    const [asked, answered] = turnMessages(rich);
    assert.deepEqual(asked, { chatId: 9, role: 'user', content: 'Price?', createdAt: new Date(t0).toISOString(), user: 'alice', attachments: rich.attachments });
    assert.deepEqual(answered, { chatId: 9, role: 'assistant', content: '$40.', createdAt: new Date(t0).toISOString(), sources: rich.sources });
    assert.deepEqual(turnMessages(base).map((m) => Object.keys(m).filter((k) => k === 'attachments' || k === 'sources')), [[], []]);
  });
});
