import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { progressDisplay, progressLine } from '../src/status/progress-display.js';
import { countPage, enterPhase, estimate, pagingFraction, startProgress } from '../src/status/run-progress.js';
import { normalisePage } from '../src/source/normalise-page.js';
import { pageOf, type Page } from '../src/source/page.js';

const hour = 3_600_000;
const day = 24 * hour;
const end = Date.parse('2026-11-24T09:00:00Z');

// A page of 20 chats, one a minute, the newest `newestMs`, ids counting down from `topId`.
function page(offset: number, topId: number, newestMs: number, spacingMs = 60_000): Page {
  const records = Array.from({ length: 20 }, (_, i) => ({ id: topId - i, createdAt: new Date(newestMs - i * spacingMs).toISOString() }));
  return pageOf(offset, normalisePage(records, Date.now()), true);
}

function terminal() {
  const writes: string[] = [];
  return { stream: { isTTY: true, columns: 100, write: (text: string) => void writes.push(text) }, writes };
}

function jsonLog() {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  return { log: pino({ level: 'info' }, sink), lines };
}

describe('progress estimates', () => {
  it('a backfill estimates its share and ETA from createdAt progress toward DATE', () => {
    const progress = startProgress(0, { kind: 'time', ms: end - 10 * day });
    countPage(progress, page(0, 10_000, end, 6 * hour), 20); // 20 chats spanning 114 hours: about half of 10 days
    const fraction = pagingFraction(progress) ?? Number.NaN;
    assert.ok(Math.abs(fraction - 114 / 240) < 1e-9, String(fraction));
    const { perSecond, etaMs } = estimate(progress, 10_000);
    assert.equal(perSecond, 2);
    assert.equal(etaMs, Math.round((10_000 * (1 - fraction)) / fraction));
  });

  it('a first run without --backfill estimates from chat ids toward 0', () => {
    const progress = startProgress(0, { kind: 'id' });
    countPage(progress, page(0, 1000, end), 20);
    countPage(progress, page(1, 980, end - hour), 20);
    assert.equal(pagingFraction(progress), 39 / 1000);
  });

  it('gives no ETA while nothing tells how far paging has to go', () => {
    const progress = startProgress(0, undefined);
    countPage(progress, page(0, 1000, end), 20);
    assert.equal(estimate(progress, 5000).etaMs, undefined);
    assert.doesNotMatch(progressLine(progress, 5000), /ETA/);
  });
});

describe('the progress line on a terminal', () => {
  it('is redrawn in place with \\r and a line clear, at most every 100 ms, cut to the terminal width', () => {
    let now = 0;
    const { stream, writes } = terminal();
    const { log, lines } = jsonLog();
    const display = progressDisplay({ stream, log, clock: () => now });
    const progress = startProgress(0, { kind: 'time', ms: end - 2 * day });
    for (let i = 0; i < 10; i++) {
      countPage(progress, page(i, 10_000 - 20 * i, end - i * 3 * hour, 9 * 60_000), 20);
      display.update(progress);
      now += 30;
    }
    assert.equal(writes.length, 3, 'drawn at 0, 120 and 240 ms');
    assert.ok(writes.every((text) => text.startsWith('\r\u001B[K') && !text.includes('\n') && text.length - 4 <= 99));
    assert.match(writes.at(-1) ?? '', /^\r\u001B\[Kpaging · 9 pages · 180 chats · .*chats\/s · \d+% · ETA \d+:\d\d · back to 2026-11-2\dT\d\d:\d\dZ/);
    assert.equal(lines.length, 0, 'no log lines on a terminal');
  });

  it('clears itself before a log line and for good when done', () => {
    let now = 0;
    const { stream, writes } = terminal();
    const display = progressDisplay({ stream, log: jsonLog().log, clock: () => now });
    const progress = startProgress(0, undefined);
    display.update(progress);
    display.clear();
    assert.equal(writes.at(-1), '\r\u001B[K');
    now += 10;
    display.update(progress); // a cleared line is redrawn at once
    assert.equal(writes.length, 3);
    display.done();
    display.update(progress);
    assert.equal(writes.at(-1), '\r\u001B[K');
    assert.equal(writes.length, 4);
  });

  it('shows delivery counts once paging is over', () => {
    const progress = startProgress(0, undefined);
    enterPhase(progress, 'delivering', 1000);
    progress.sent = 42;
    progress.failed = 1;
    assert.match(progressLine(progress, 3000), /^delivering · 0 pages · 0 chats · 42 conversations sent · 1 failed · 22\/s · elapsed 0:03$/);
  });
});

describe('progress without a terminal (under systemd)', () => {
  it('writes a log line at most every 30 s, none during the first 30 s', () => {
    let now = 0;
    const { log, lines } = jsonLog();
    const display = progressDisplay({ stream: { isTTY: false, write: () => assert.fail('nothing is drawn without a terminal') }, log, clock: () => now });
    const progress = startProgress(0, { kind: 'id' });
    for (let second = 0; second <= 95; second++) {
      now = second * 1000;
      countPage(progress, page(second, 10_000 - 20 * second, end - second * hour), 20);
      display.update(progress);
    }
    assert.deepEqual(lines.map((line) => line['progress']['pages']), [31, 61, 91]);
    assert.match(lines[0]?.['msg'], /^progress: paging · 31 pages · 620 chats/);
    assert.equal(typeof lines[0]?.['progress']['etaSeconds'], 'number');
  });
});
