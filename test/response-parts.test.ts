import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { chatDigest } from '../src/domain/chat-digest.js';
import { normaliseRecord } from '../src/source/normalise-record.js';
import { decodedBytes, responseParts, slimRecord, slimResponse, sourcesOf } from '../src/source/response-parts.js';

const photo = Buffer.alloc(1_000_001, 7);
const dataUrl = (mime: string, bytes: Buffer) => `data:${mime};base64,${bytes.toString('base64')}`;
// One response as AnythingLLM's stream.js stores it: text, every chunk as a source, the user's files as data URLs.
const response = JSON.stringify({
  text: 'It is a cat.',
  type: 'chat',
  sources: [
    { id: 'a1', title: 'pricing-q3.pdf', url: 'file:///app/server/storage/hotdir/pricing-q3.pdf', chunkSource: '', docSource: 'a file', text: 'chunk one '.repeat(500), score: 0.8 },
    { id: 'a2', title: 'pricing-q3.pdf', url: 'file:///app/server/storage/hotdir/pricing-q3.pdf', chunkSource: '', text: 'chunk two', score: 0.7 },
    { id: 'b1', title: 'example.com/blog', url: 'https://example.com/blog', chunkSource: 'link://https://example.com/blog', text: 'web text' },
    { id: 'b2', title: 'example.com/blog', url: 'https://example.com/blog', chunkSource: 'link://https://example.com/blog', text: 'more web text' },
    { id: 'c1', title: 'Intro video', chunkSource: 'youtube://https://www.youtube.com/watch?v=abc', text: 'transcript' },
    { id: 'd1', chunkSource: 'https://search.example/result', text: 'a search result without a title' },
    { id: 'e1', text: 'neither title nor address' },
  ],
  attachments: [
    { name: 'cat.jpg', mime: 'image/jpeg', contentString: dataUrl('image/jpeg', photo) },
    { name: 'note.txt', mime: 'text/plain', contentString: 'data:text/plain,hello%20world' },
  ],
  metrics: { duration: 1.2 },
});

describe("a chat's response column", () => {
  it('names each attachment with its mime and decoded size, never its content', () => {
    assert.deepEqual(responseParts(response).attachments, [
      { name: 'cat.jpg', mime: 'image/jpeg', bytes: 1_000_001 },
      { name: 'note.txt', mime: 'text/plain', bytes: 11 },
    ]);
  });

  it('lists each document once, with an http(s) address only (from chunkSource, else url), never a file path', () => {
    assert.deepEqual(responseParts(response).sources, [
      { title: 'pricing-q3.pdf' },
      { title: 'example.com/blog', url: 'https://example.com/blog' },
      { title: 'Intro video', url: 'https://www.youtube.com/watch?v=abc' },
      { title: 'https://search.example/result', url: 'https://search.example/result' },
    ]);
  });

  it('has no attachments or sources when there are none, and reads text that is not a JSON object as the reply', () => {
    assert.deepEqual(responseParts(JSON.stringify({ text: 'Hi', sources: [], attachments: [] })), { text: 'Hi' });
    assert.deepEqual(responseParts('{}'), { text: '' });
    assert.deepEqual(responseParts('plain words'), { text: 'plain words' });
    assert.deepEqual(sourcesOf('not a list'), []);
  });

  it('sizes base64 with and without padding, and a data URL without a mime', () => {
    for (const n of [0, 1, 2, 3, 4, 5]) assert.equal(decodedBytes(dataUrl('application/pdf', Buffer.alloc(n, 1))), n);
    assert.equal(decodedBytes(Buffer.alloc(10, 2).toString('base64')), 10);
    assert.equal(responseParts(JSON.stringify({ text: '', attachments: [{ contentString: 'data:audio/ogg;base64,AAAA' }] })).attachments?.[0]?.mime, 'audio/ogg');
  });

  it('slims to the same parts and the same text, small, with every other field kept', () => {
    const slim = slimResponse(response);
    assert.ok(slim.length < 2_000, `${slim.length} characters`);
    assert.ok(!slim.includes(photo.toString('base64').slice(0, 40)));
    assert.deepEqual(responseParts(slim), responseParts(response));
    assert.deepEqual(JSON.parse(slim).metrics, { duration: 1.2 });
    assert.equal(slimResponse(slim), slim, 'slimming twice changes nothing');
    const plain = JSON.stringify({ text: 'Hi', type: 'chat' });
    assert.equal(slimResponse(plain), plain, 'a response with nothing to drop comes back as it was');
  });

  it("slims a record without changing what its chat digest reads, so a sent chat's mark still matches", () => {
    const record = { id: 1, workspaceId: 1, prompt: 'What is in this picture?', response, include: true, createdAt: '2026-11-23T16:00:00.000Z' };
    const [full, slim] = [normaliseRecord(record, Date.now()), normaliseRecord(slimRecord(record), Date.now())];
    assert.ok(full.kind === 'turn' && slim.kind === 'turn');
    assert.deepEqual(slim.turn, full.turn);
    // The digest a mark holds when an earlier version froze this chat: sha256 of [prompt, response.text, include].
    const before = createHash('sha256').update(JSON.stringify(['What is in this picture?', 'It is a cat.', true])).digest('hex').slice(0, 16);
    assert.equal(chatDigest(full.turn), before);
    assert.equal(slimRecord('not a record'), 'not a record');
  });
});
