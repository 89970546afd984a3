import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backfillTimeZone, parseBackfillDate } from '../src/config/backfill-date.js';
import { isMcError } from '../src/errors.js';

const iso = (text: string, zone = 'America/Chicago') => parseBackfillDate(text, zone).toISOString();

describe('--backfill DATE', () => {
  it('a plain date is midnight in America/Chicago: CDT before the switch, CST after it', () => {
    assert.equal(iso('2026-10-31'), '2026-10-31T05:00:00.000Z');
    assert.equal(iso('2026-11-01'), '2026-11-01T05:00:00.000Z'); // DST ends at 02:00 that day: midnight is still CDT
    assert.equal(iso('2026-11-02'), '2026-11-02T06:00:00.000Z');
    assert.equal(iso('2026-03-08'), '2026-03-08T06:00:00.000Z'); // DST starts at 02:00: midnight is still CST
    assert.equal(iso('2026-03-09'), '2026-03-09T05:00:00.000Z');
  });

  it('a plain date follows --tz', () => {
    assert.equal(iso('2026-11-01', 'UTC'), '2026-11-01T00:00:00.000Z');
    assert.equal(iso('2026-07-01', 'Europe/Berlin'), '2026-06-30T22:00:00.000Z');
    assert.equal(iso('2026-07-01', 'Asia/Kolkata'), '2026-06-30T18:30:00.000Z');
  });

  it('on a day whose midnight is skipped by DST the day starts at its first instant', () => {
    // Cuba moves its clocks from 00:00 to 01:00 on the second Sunday of March.
    assert.equal(iso('2026-03-08', 'America/Havana'), '2026-03-08T05:00:00.000Z');
  });

  it('a timestamp with Z or an offset is taken as given; one without is wall time in the zone', () => {
    assert.equal(iso('2026-11-01T06:30:00Z'), '2026-11-01T06:30:00.000Z');
    assert.equal(iso('2026-11-01T06:30:00+02:00'), '2026-11-01T04:30:00.000Z');
    assert.equal(iso('2026-11-01T06:30'), '2026-11-01T12:30:00.000Z');
    assert.equal(iso('2026-11-01T01:30:00'), '2026-11-01T06:30:00.000Z'); // the repeated hour: its first instant
  });

  it('refuses what is not a date, a date that does not exist, and an unknown zone, each with MC_CONFIG', () => {
    for (const [text, zone] of [['yesterday', 'UTC'], ['2026-02-30', 'UTC'], ['2026-11-01T25:00', 'UTC'], ['2026-11-01', 'Mars/Olympus']] as const) {
      assert.throws(() => parseBackfillDate(text, zone), (error) => isMcError(error, 'MC_CONFIG'), `${text} in ${zone}`);
    }
  });

  it('shows the accepted forms in every refusal of a date, so the first mistake teaches them', () => {
    const forms = 'use a day like 2026-11-01 (midnight in UTC), a local time like 2026-11-01T06:00, or a timestamp like 2026-11-01T06:00:00Z';
    assert.throws(() => parseBackfillDate('2026-13-45', 'UTC'), { message: `--backfill "2026-13-45" is not a real date or time; ${forms}` });
    assert.throws(() => parseBackfillDate('last tuesday', 'UTC', '--since'), { message: `--since "last tuesday" is not a date; ${forms}` });
  });

  it('reads the zone from --tz, then TZ, then America/Chicago', () => {
    assert.equal(backfillTimeZone('UTC', { TZ: 'Europe/Paris' }), 'UTC');
    assert.equal(backfillTimeZone(undefined, { TZ: 'Europe/Paris' }), 'Europe/Paris');
    assert.equal(backfillTimeZone(undefined, {}), 'America/Chicago');
    assert.equal(backfillTimeZone(undefined, { TZ: ':/etc/localtime' }), 'America/Chicago');
  });
});
