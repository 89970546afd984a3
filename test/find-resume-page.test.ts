import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findResumePage } from '../src/source/find-resume-page.js';
import { normalisePage } from '../src/source/normalise-page.js';
import { pageOf, type Page } from '../src/source/page.js';

// A table of ids served newest first, 20 a page, counting the reads.
function table(ids: number[]) {
  const sorted = [...ids].sort((a, b) => b - a);
  const reads: number[] = [];
  const readPage = async (offset: number): Promise<Page> => {
    reads.push(offset);
    return pageOf(offset, normalisePage(sorted.slice(offset * 20, offset * 20 + 20).map((id) => ({ id })), Date.now()), sorted.length > (offset + 1) * 20);
  };
  return { readPage, reads };
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('finding where a stopped run got to (DESIGN §1)', () => {
  // An earlier run read ids 10,000 down to 4,001 (pages 0–299, the last one's lowest id 4,001).
  const resume = { top: 10_000, low: 4_001, lowOffset: 299 };

  it('with nothing changed, the page holding the lowest id read, in two reads', async () => {
    const { readPage, reads } = table(range(1, 10_000));
    const page = await findResumePage(readPage, 0, resume);
    assert.equal(page?.offset, 299);
    assert.deepEqual(reads, [299, 298]);
  });

  it('rows pushed down by 150 new chats, or pulled up by 70 deleted ones: the first page reaching the lowest id read, every page before it above', async () => {
    for (const ids of [range(1, 10_150), range(1, 10_000).filter((id) => id < 6_000 || id >= 6_070)]) {
      const { readPage, reads } = table(ids);
      const from = ids.length > 10_000 ? 7 : 0; // where the top of the earlier range is now
      const page = await findResumePage(readPage, from, resume);
      const sorted = [...ids].sort((a, b) => b - a);
      const expected = Math.floor(sorted.indexOf(4_001) / 20);
      assert.equal(page?.offset, expected);
      assert.ok(reads.length <= 8, `${reads.length} reads`);
    }
  });

  it('gives up (the caller pages on in order) when the table ends before the lowest id read', async () => {
    const { readPage } = table(range(5_000, 10_000));
    assert.equal(await findResumePage(readPage, 0, resume), undefined);
  });
});
