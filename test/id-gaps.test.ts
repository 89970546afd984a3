import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idGaps } from '../src/source/id-gaps.js';
import { normalisePage } from '../src/source/normalise-page.js';
import { pageOf } from '../src/source/page.js';

const page = (...ids: unknown[]) => pageOf(0, normalisePage(ids.map((id) => ({ id })), Date.now()), true);

describe('what one page proves absent (DESIGN §1 "gone")', () => {
  it('the ids strictly between two rows served side by side', () => {
    assert.deepEqual(idGaps(page(10, 9, 7, 3)), [{ above: 9, below: 7 }, { above: 7, below: 3 }]);
  });

  it('touching rows prove nothing, nor does a row without a usable id between two others, nor rows out of order', () => {
    assert.deepEqual(idGaps(page(5, 4, 3)), []);
    assert.deepEqual(idGaps(page(9, 'x', 3)), []);
    assert.deepEqual(idGaps(page(3, 9)), []);
  });
});
