import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { rollingGap } from '../src/conversations/rolling-gap.js';
import type { Conversation } from '../src/conversations/conversation.js';
import { deliver } from '../src/delivery/deliver.js';
import { normaliseRecord } from '../src/source/normalise-record.js';
import type { Turn } from '../src/source/turn.js';
import { stagePage } from '../src/state/stage-page.js';
import { State } from '../src/state/state.js';
import { tempDir } from './helpers/temp-dir.js';
import { collectAll } from './helpers/turns.js';

const minute = 60_000;
const gapMs = 60 * minute;
const base = Date.parse('2026-11-01T00:00:00Z');
const realNowMs = Date.parse('2026-11-24T00:00:00Z');
const silent = pino({ level: 'silent' });

// Chats on a minute grid over ten hours, so gaps of exactly the window are common.
const chatsArb = fc
  .array(fc.record({ workspaceId: fc.integer({ min: 1, max: 2 }), thread: fc.constantFrom(null, 1, 2), minuteAt: fc.integer({ min: 0, max: 600 }) }), { minLength: 1, maxLength: 60 })
  .map((rows) => rows.map((row, index) => ({ id: index + 1, workspaceId: row.workspaceId, thread_id: row.thread, prompt: `p${index}`, response: '{"text":"r"}', createdAt: new Date(base + row.minuteAt * minute).toISOString() })));

type Raw = { id: number; workspaceId: number; thread_id: number | null; prompt: string; response: string; createdAt: string };

const key = (ids: readonly number[]) => [...ids].sort((a, b) => a - b).join(',');

async function onePass(chats: readonly Raw[], nowMs: number): Promise<string[]> {
  const turns = chats.map((c) => normaliseRecord(c, realNowMs)).flatMap((r) => (r.kind === 'turn' ? [r.turn] : []));
  turns.sort((a, b) => a.workspaceId - b.workspaceId || (a.threadId ?? -1) - (b.threadId ?? -1) || a.createdAt - b.createdAt || a.id - b.id);
  const runs = await collectAll(rollingGap(turns as Turn[], { gapMs, nowMs }));
  return runs.filter((run) => run.closed).map((run) => key(run.turns.map((t) => t.id))).sort();
}

describe('nights are splits at instants (DESIGN §2)', () => {
  it('any split into nights, any page size and page order send the conversations of one sorted pass, each once', async () => {
    await fc.assert(
      fc.asyncProperty(chatsArb, fc.uniqueArray(fc.integer({ min: 0, max: 800 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 25 }), fc.integer(), async (chats, nightMinutes, pageSize, seed) => {
        const nights = [...nightMinutes].sort((a, b) => a - b).map((m) => base + m * minute);
        const dir = await tempDir();
        const state = await State.open(dir, 'property');
        const sent: Conversation[] = [];
        try {
          for (const nowMs of nights) {
            const visible = shuffle(chats.filter((c) => Date.parse(c.createdAt) <= nowMs), seed);
            for (let i = 0; i < visible.length; i += pageSize) await stagePage(state, visible.slice(i, i + pageSize), { includeHidden: false, realNowMs });
            await deliver(state, { send: async (c) => (sent.push(c), { ok: true, status: 200 }), gapMs, nowMs, concurrency: 3, log: silent });
          }
        } finally {
          await state.close();
        }
        const sentChats = sent.flatMap((c) => [...new Set(c.messages.map((m) => m.chatId))]);
        assert.equal(new Set(sentChats).size, sentChats.length, 'no chat is sent twice');
        assert.deepEqual(sent.map((c) => key([...new Set(c.messages.map((m) => m.chatId))])).sort(), await onePass(chats, nights.at(-1) as number));
      }),
      { numRuns: 60 },
    );
  });
});

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed | 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    const j = Math.abs(s) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
