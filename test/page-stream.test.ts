import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pageStream } from '../src/source/page-stream.js';
import { slimRecord } from '../src/source/response-parts.js';

const attachment = (n: number) => ({ name: `photo-${n}.jpg`, mime: 'image/jpeg', contentString: `data:image/jpeg;base64,${Buffer.alloc(3000 + n, n).toString('base64')}` });
const chat = (id: number) => ({ id, workspaceId: 1, prompt: `é ${id} 🚀`, response: JSON.stringify({ text: `answer ${id}`, sources: [{ title: 'doc', text: 'chunk'.repeat(100) }], attachments: [attachment(id)] }), createdAt: '2026-11-23T16:00:00.000Z' });

// Feeds `body` to a page stream cut at the given points.
function parse(body: Buffer, cuts: readonly number[] = []) {
  const stream = pageStream();
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    stream.write(body.subarray(at, Math.max(at, cut)));
    at = Math.max(at, cut);
  }
  stream.write(body.subarray(at));
  return stream.end();
}

describe('a page parsed as it arrives', () => {
  it('gives the slimmed records and hasPages, however the body is cut into chunks', () => {
    const page = { chats: [chat(1), chat(2), chat(3)], hasPages: true };
    const body = Buffer.from(`\ufeff${JSON.stringify(page)}`);
    const expected = { ok: true, records: page.chats.map(slimRecord), hasPages: true, bytes: body.length };
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: body.length }), { maxLength: 12 }), (cuts) => assert.deepEqual(parse(body, cuts), expected)), { numRuns: 60 });
    assert.ok(JSON.stringify(expected.records).length < JSON.stringify(page.chats).length / 5, 'no attachment content is kept');
  });

  it('tells HTML, a body cut short or garbled, and a body of another shape apart', () => {
    assert.deepEqual(parse(Buffer.from('  <!doctype html><html></html>')), { ok: false, reason: 'html', bytes: 30 });
    assert.deepEqual(parse(Buffer.from('{"chats":[{"id":1')), { ok: false, reason: 'garbled', bytes: 17 });
    assert.deepEqual(parse(Buffer.from('{"chats":[]} trailing')), { ok: false, reason: 'garbled', bytes: 21 });
    assert.deepEqual(parse(Buffer.from('{"chats":{},"hasPages":true}')), { ok: false, reason: 'shape', bytes: 28 });
    assert.deepEqual(parse(Buffer.from('{"chats":[]}')), { ok: false, reason: 'shape', bytes: 12 });
    assert.deepEqual(parse(Buffer.from('{"chats":[],"hasPages":false}')), { ok: true, records: [], hasPages: false, bytes: 29 });
  });
});
