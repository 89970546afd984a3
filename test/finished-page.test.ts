// What a page means for a run, worked out in source/ before staging sees it (DESIGN §1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PageRecord } from '../src/domain/page-record.js';
import { finishPage } from '../src/source/finished-page.js';
import { normalisePage } from '../src/source/normalise-page.js';
import { pageOf, recordCreatedAt, recordId } from '../src/source/page.js';
import { makeChat } from './fixtures/raw-chat.ts';

const now = Date.parse('2026-11-24T12:00:00.000Z');
// Newest first, as the API serves: 9 and 6 are missing, 5 is a bad record (no prompt), 4 was created long ago.
const page = pageOf(
  0,
  normalisePage(
    [
      makeChat({ id: 10, createdAt: '2026-11-24T10:00:00.000Z' }),
      makeChat({ id: 8, createdAt: '2026-11-24T09:00:00.000Z' }),
      makeChat({ id: 7, createdAt: '2026-11-24T08:00:00.000Z' }),
      { id: 5, createdAt: '2026-11-24T07:00:00.000Z' },
      makeChat({ id: 4, createdAt: '2026-01-01T00:00:00.000Z' }),
    ],
    now,
  ),
  true,
);
const sinceNovember = (record: PageRecord) => (recordCreatedAt(record) ?? 0) >= Date.parse('2026-11-01T00:00:00.000Z');

describe('a finished page', () => {
  it('holds the records the run takes, in page order, and counts the rest as older', () => {
    const finished = finishPage(page, sinceNovember, 'api');
    assert.equal(finished.records, page.records);
    assert.equal(finished.offset, 0);
    assert.deepEqual(finished.taken.map(recordId), [10, 8, 7, 5]);
    assert.equal(finished.older, 1);
  });

  it('proves the ids between neighbouring API rows absent, and a file page nothing', () => {
    assert.deepEqual(finishPage(page, () => true, 'api').absentBetween, [{ above: 10, below: 8 }, { above: 7, below: 5 }]);
    assert.deepEqual(finishPage(page, () => true, 'file').absentBetween, []);
  });

  it('keeps every turn of the page for a replay, taken or not, and no bad record', () => {
    assert.deepEqual(finishPage(page, sinceNovember, 'api').turns.map((turn) => turn.id), [10, 8, 7, 4]);
  });
});
