// Paging two pages ahead against a table that grows while it is read (DESIGN §1: new chats push rows down), with a
// server that answers overlapping requests in any order: no row that existed when paging began is ever missed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import fc from 'fast-check';
import { normalisePage } from '../src/source/normalise-page.js';
import { pageOf, recordId, type Page, type ReadPage } from '../src/source/page.js';
import { pageThrough } from '../src/source/page-through.js';

const pageSize = 20;

/**
 * A table of chat ids served newest first, which grows by `growth[i]` rows just before the i-th page is taken: under
 * 10 a read, so fewer than 20 land between two reads of neighbouring pages (20 make a page identical to the one
 * before, which is what a server ignoring the offset looks like, and is refused — as with sequential paging).
 */
function growingTable(rows: number, growth: readonly number[], delays: readonly number[]) {
  let newest = rows;
  let reads = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const readPage: ReadPage = async (offset) => {
    const i = reads++;
    await sleep(delays[i % delays.length] ?? 0); // requests overlap, and are taken in any order
    newest += growth[i] ?? 0;
    const ids = Array.from({ length: pageSize }, (_, k) => newest - offset * pageSize - k).filter((id) => id >= 1);
    const page: Page = pageOf(offset, normalisePage(ids.map((id) => ({ id })), Date.now()), newest - (offset + 1) * pageSize >= 1);
    await sleep(delays[(i + 1) % delays.length] ?? 0);
    return page;
  };
  return { readPage, reads: () => reads };
}

async function pageAll(readPage: ReadPage): Promise<Page[]> {
  const done = pageThrough({ readPage, stage: async () => undefined, isLastPage: (page) => !page.hasPages, expectRowsOnFirstPage: false, newestFirst: true, pagesAhead: 2 });
  return (await lastValueFrom(done.pipe(toArray()))).map((d) => d.page);
}

describe('paging two pages ahead', () => {
  it('never misses a row that existed when paging began, however rows are added and answers reordered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9 })), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 7 }),
        async (rows, growth, delays) => {
          const pages = await pageAll(growingTable(rows, growth, delays).readPage);
          const seen = new Set(pages.flatMap((page) => page.records.map(recordId)));
          const missed = Array.from({ length: rows }, (_, i) => i + 1).filter((id) => !seen.has(id));
          assert.deepEqual(missed, []);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads each page once when nothing is added', async () => {
    const table = growingTable(195, [], [1, 0, 2]);
    const pages = await pageAll(table.readPage);
    assert.deepEqual(pages.map((page) => page.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(table.reads() <= 11, `${table.reads()} reads for 10 pages (one ahead of the last, at most)`);
  });
});

describe('paging after a big page', () => {
  // How far ahead of the last page handed to staging any read went: 3 when two pages are read ahead, 2 with one.
  async function furthestRead(pageBytes: number): Promise<number> {
    let lastStaged = -1;
    let furthest = 0;
    const readPage: ReadPage = async (offset) => {
      furthest = Math.max(furthest, offset - lastStaged);
      await new Promise((resolve) => setImmediate(resolve));
      return pageOf(offset, normalisePage([{ id: 1000 - offset }], Date.now()), offset < 7, pageBytes);
    };
    const stage = async (page: Page) => void (lastStaged = page.offset);
    const done = pageThrough({ readPage, stage, isLastPage: (page) => !page.hasPages, expectRowsOnFirstPage: false, newestFirst: true, pagesAhead: 2, bigPageBytes: 4 * 1024 * 1024 });
    assert.deepEqual((await lastValueFrom(done.pipe(toArray()))).map((d) => d.page.offset), [0, 1, 2, 3, 4, 5, 6, 7]);
    return furthest;
  }

  it('reads one page ahead, not two, after a page larger than bigPageBytes: memory is bounded by bytes, not rows', async () => {
    assert.equal(await furthestRead(1000), 3, 'small pages: two ahead of the one being staged');
    assert.equal(await furthestRead(100 * 1024 * 1024), 2, 'pages of photos: one ahead');
  });
});
