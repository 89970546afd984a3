import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { horizonOfScopeKey, pagingScopeKey } from '../src/job/resume-point.js';
import { nextFloor, runScope, unfinishedFirstBackfill } from '../src/job/run-scope.js';

describe('a first --backfill stopped before its paging reached DATE (DESIGN §5)', () => {
  const date = Date.parse('2026-11-01T05:00:00Z');

  it('its paging record holds DATE: the scope key gives back the horizon it was built with', () => {
    assert.equal(horizonOfScopeKey(pagingScopeKey(date, false)), date);
    assert.equal(horizonOfScopeKey(pagingScopeKey(date, true)), date);
    assert.equal(horizonOfScopeKey(pagingScopeKey(-86_400_000, false)), -86_400_000);
    assert.equal(horizonOfScopeKey(pagingScopeKey(Number.NEGATIVE_INFINITY, false)), undefined, 'all history');
    assert.equal(horizonOfScopeKey('garbage'), undefined);
  });

  it('is carried on only by a run with no cursor and no floor', () => {
    assert.equal(unfinishedFirstBackfill(undefined, undefined, date), date);
    assert.equal(unfinishedFirstBackfill(undefined, undefined, undefined), undefined, 'a stopped run over all history, or none');
    assert.equal(unfinishedFirstBackfill(42, undefined, date), undefined, 'a later backfill, with a cursor: the nights go on as before');
    assert.equal(unfinishedFirstBackfill(undefined, date - 1, date), undefined, 'a floor is already stored');
  });

  it('carried on, the run has the stopped run\'s scope and stores DATE as the floor once paging reaches it', () => {
    const scope = runScope(undefined, undefined, unfinishedFirstBackfill(undefined, undefined, date));
    assert.equal(pagingScopeKey(scope.horizonMs, false), pagingScopeKey(date, false), 'so it resumes that paging');
    assert.equal(nextFloor(scope, undefined), date);
  });
});
