import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { counted } from '../src/log/counted.js';
import { progressLine } from '../src/status/progress-display.js';

describe('counts in operator lines', () => {
  it('one is singular, every other count plural, thousands grouped', () => {
    assert.equal(counted(1, 'conversation'), '1 conversation');
    assert.equal(counted(0, 'conversation'), '0 conversations');
    assert.equal(counted(1200, 'chat'), '1,200 chats');
    assert.equal(counted(1, 'delivery', 'deliveries'), '1 delivery');
    assert.equal(counted(10, 'delivery', 'deliveries'), '10 deliveries');
  });

  it('the progress line says "1 page · 1 chat · 1 conversation sent"', () => {
    const line = progressLine({ phase: 'delivering', pages: 1, chats: 1, staged: 1, sent: 1, failed: 0, replayed: 0, startedAtMs: 0, deliveringSinceMs: 0 } as unknown as Parameters<typeof progressLine>[0], 1000);
    assert.match(line, /^delivering · 1 page · 1 chat · 1 conversation sent · /);
  });
});
