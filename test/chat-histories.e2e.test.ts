import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats, prng, writeNdjson } from './fixtures/chat-generator.ts';
import { makeChat, type RawChat } from './fixtures/raw-chat.ts';
import { referenceConversations } from './fixtures/reference-conversations.ts';
import { startWebhookReceiver, type Delivery, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, chatKey, cliEnv } from './helpers/cli-env.js';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const minute = 60_000;
const hour = 60 * minute;
const t0 = Date.parse('2026-11-10T15:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

// The accepted conversations, each once, as chat-id keys in arrival order.
function acceptedKeys(receiver: Receiver): string[] {
  const keys = accepted(receiver).map((d) => chatKey(chatIdsOf(d.body)));
  assert.equal(new Set(keys).size, keys.length, 'no conversation arrives twice');
  const chats = accepted(receiver).flatMap((d) => chatIdsOf(d.body));
  assert.equal(new Set(chats).size, chats.length, 'no chat arrives twice');
  return keys;
}
const accepted = (receiver: Receiver): Delivery[] => receiver.deliveries.filter((d) => d.status >= 200 && d.status < 300);
const closedKeys = (chats: readonly RawChat[], nowMs: number) =>
  referenceConversations(chats, { gapMs: hour, nowMs, realNowMs: nowMs + hour }).filter((c) => c.closed).map((c) => chatKey(c.chatIds)).sort();

describe('chat histories as AnythingLLM keeps them (DESIGN §2)', () => {
  it("keeps each user's and each API session's default thread apart: six chats within an hour are four conversations", async () => {
    const chat = (id: number, minuteAt: number, fields: Partial<Parameters<typeof makeChat>[0]>) => makeChat({ id, createdAt: iso(t0 + minuteAt * minute), ...fields });
    const alice = { user_id: 1, user: { username: 'alice' } };
    const bob = { user_id: 2, user: { username: 'bob' } };
    const chats = [
      chat(1, 0, { ...alice, prompt: 'my address is 12 Elm St' }),
      chat(2, 5, { ...bob, prompt: 'I eat no gluten' }),
      chat(3, 10, { api_session_id: 'slack-U111', user: { username: 'API' } }),
      chat(4, 15, { ...alice }),
      chat(5, 20, { api_session_id: 'slack-U222', user: { username: 'API' } }),
      chat(6, 25, { ...bob }),
    ];
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    try {
      const result = await runCli(['run', '--now', iso(t0 + 3 * hour)], cliEnv(standIn, receiver, await tempDir()));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const bodies = accepted(receiver).map((d) => d.body);
      const seen = bodies.map((b) => ({ chats: chatKey(chatIdsOf(b)), user: b.user, apiSessionId: b.apiSessionId, users: [...new Set(b.messages.map((m: { user?: string }) => m.user ?? null))] }));
      assert.deepEqual(
        seen.sort((a, b) => a.chats.localeCompare(b.chats)),
        [
          { chats: '1,4', user: { id: 1, username: 'alice' }, apiSessionId: null, users: ['alice', null] },
          { chats: '2,6', user: { id: 2, username: 'bob' }, apiSessionId: null, users: ['bob', null] },
          { chats: '3', user: null, apiSessionId: 'slack-U111', users: [null] },
          { chats: '5', user: null, apiSessionId: 'slack-U222', users: [null] },
        ],
      );
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});

describe('any order of createdAt against id (DESIGN §2)', () => {
  const end = Date.parse('2026-11-20T15:00:00Z');
  const chats = generateChats({ count: 1500, seed: 41, start: new Date(end - 6 * 24 * hour), end: new Date(end), workspaces: 2, threadsPerWorkspace: 2, hiddenRate: 0.02, realNowMs: end });
  const nowMs = end + 10 * minute;

  for (const [order, arrange] of [
    ['oldest first (an export)', (rows: RawChat[]) => rows],
    ['shuffled', (rows: RawChat[]) => shuffled(rows, 5)],
  ] as const) {
    it(`a file read ${order} gives exactly the conversations of one sorted pass`, async () => {
      const dir = await tempDir();
      const file = join(dir, 'chats.ndjson');
      await writeNdjson(file, arrange([...chats]));
      const receiver = await startWebhookReceiver();
      try {
        const result = await runCli(['run', '--source', `file:${file}`, '--now', iso(nowMs)], { WEBHOOK_URL: receiver.url, STATE_DIR: join(dir, 'state'), RETRY_MIN_DELAY: '10' });
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.deepEqual(acceptedKeys(receiver).sort(), closedKeys(chats, nowMs));
      } finally {
        await receiver.close();
      }
    });
  }

  it('late rows (higher ids, older times) on the newest page of a long night split no conversation and continue the one they follow', async () => {
    const night1 = generateChats({ count: 600, seed: 42, start: new Date(t0 - 3 * 24 * hour), end: new Date(t0), workspaces: 2, threadsPerWorkspace: 2, realNowMs: t0 + 30 * 24 * hour });
    const t1 = t0 + 2 * hour;
    const fresh = generateChats({ count: 1300, seed: 43, start: new Date(t1 + 2 * hour), end: new Date(t1 + 5 * 24 * hour), firstId: 601, workspaces: 2, threadsPerWorkspace: 2, realNowMs: t0 + 30 * 24 * hour });
    // Three late rows dated 20, 25 and 30 minutes after a night-1 conversation of one history ended, with the highest ids.
    const sent1 = referenceConversations(night1, { gapMs: hour, nowMs: t1 }).filter((c) => c.closed && c.endedAt < t0 - 6 * hour);
    const target = sent1.at(-1)!;
    const template = night1.find((chat) => chat['id'] === target.chatIds[0])!;
    const late = [20, 25, 30].map((m, i) => ({ ...template, id: 1901 + i, prompt: `late ${i}`, createdAt: iso(target.endedAt + m * minute), lastUpdatedAt: iso(target.endedAt + m * minute) }));
    const standIn = await startStandIn({ chats: [...night1] });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    try {
      const first = await runCli(['run', '--now', iso(t1)], cliEnv(standIn, receiver, stateDir));
      assert.equal(first.code, 0, first.stdout + first.stderr);
      const firstIds = new Map(accepted(receiver).map((d) => [chatKey(chatIdsOf(d.body)), d.body.id as string]));
      standIn.add(...fresh, ...late);
      const t2 = t1 + 5 * 24 * hour + 2 * hour;
      const second = await runCli(['run', '--now', iso(t2)], cliEnv(standIn, receiver, stateDir));
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.ok(summaryOf(second)?.['pages'] >= 65, `a long night (${summaryOf(second)?.['pages']} pages)`);
      const night2 = accepted(receiver).slice(firstIds.size);
      assert.deepEqual(night2.map((d) => chatKey(chatIdsOf(d.body))).sort(), closedKeys([...fresh, ...late], t2), 'no conversation is cut at a page boundary');
      const lateConversation = night2.find((d) => chatIdsOf(d.body).includes(1901));
      assert.equal(lateConversation?.body.continues, firstIds.get(chatKey(target.chatIds)), 'the late rows continue the conversation they follow');
      acceptedKeys(receiver);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('continues names the latest sent conversation that ended before, even when a newer one of the history was sent first', async () => {
    const thread = { thread_id: 9, user_id: 3, user: { username: 'carol' } };
    // Night 1 sends A (10:00–10:20) and B (14:00) of thread 9.
    const chats = [makeChat({ id: 1, createdAt: iso(t0), ...thread }), makeChat({ id: 2, createdAt: iso(t0 + 20 * minute), ...thread }), makeChat({ id: 3, createdAt: iso(t0 + 4 * hour), ...thread })];
    // Night 2 reads chats written between them, 30 to 53 minutes after A ended: a late import.
    const late = [makeChat({ id: 4, createdAt: iso(t0 + 50 * minute), ...thread }), makeChat({ id: 5, createdAt: iso(t0 + 73 * minute), ...thread })];
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    try {
      assert.equal((await runCli(['run', '--now', iso(t0 + 6 * hour)], cliEnv(standIn, receiver, stateDir))).code, 0);
      const a = accepted(receiver).find((d) => chatKey(chatIdsOf(d.body)) === '1,2');
      assert.ok(a !== undefined && accepted(receiver).length === 2);
      standIn.add(...late);
      assert.equal((await runCli(['run', '--now', iso(t0 + 7 * hour)], cliEnv(standIn, receiver, stateDir))).code, 0);
      const c = accepted(receiver).find((d) => chatKey(chatIdsOf(d.body)) === '4,5');
      assert.equal(c?.body.continues, a.body.id);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});

describe('bursts while paging (DESIGN §1)', () => {
  it('2,400 chats written while the night reads page 5: it finishes, misses nothing and sends nothing twice', async () => {
    const end = Date.parse('2026-11-20T15:00:00Z');
    const nowMs = end + 3 * hour;
    const chats = generateChats({ count: 400, seed: 44, start: new Date(end - 3 * 24 * hour), end: new Date(end), workspaces: 2, threadsPerWorkspace: 2, realNowMs: end });
    // Written during the night (an agent flow, an import of the last minutes): dated just before the run.
    const burst = generateChats({ count: 2400, seed: 45, start: new Date(nowMs - 50 * minute), end: new Date(nowMs - minute), firstId: 401, workspaces: 3, threadsPerWorkspace: 2, realNowMs: end });
    const standIn = await startStandIn({ chats: [...chats] });
    let burstWritten = false;
    standIn.onPage = (offset) => {
      if (offset !== 5 || burstWritten) return;
      burstWritten = true;
      standIn.add(...burst);
    };
    const receiver = await startWebhookReceiver();
    const stateDir = await tempDir();
    try {
      const first = await runCli(['run', '--now', iso(nowMs)], cliEnv(standIn, receiver, stateDir));
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.ok(burstWritten && summaryOf(first)?.['pages'] > 120, `the night read on through the burst (${summaryOf(first)?.['pages']} pages)`);
      assert.deepEqual(acceptedKeys(receiver).sort(), closedKeys(chats, nowMs));
      const later = nowMs + 3 * hour;
      const second = await runCli(['run', '--now', iso(later)], cliEnv(standIn, receiver, stateDir));
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.deepEqual(acceptedKeys(receiver).sort(), closedKeys([...chats, ...burst], later), 'every chat once, in the conversations of one sorted pass');
      assert.equal(summaryOf(second)?.['cursorAfter'], 2800);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});

describe('delivery order (DESIGN §3 "Order")', () => {
  it('nothing is sent while paging; closed conversations go oldest first, each history strictly in order, four histories at a time', async () => {
    const end = Date.parse('2026-11-20T15:00:00Z');
    const chats = generateChats({ count: 1200, seed: 46, start: new Date(end - 4 * 24 * hour), end: new Date(end), workspaces: 3, threadsPerWorkspace: 3, realNowMs: end });
    const nowMs = end + 2 * hour;
    let step = 0;
    let lastPageStep = 0;
    const standIn = await startStandIn({ chats, pageLatencyMs: 2 });
    standIn.onPage = () => void (lastPageStep = ++step);
    const delays = prng(47);
    const events: { history: string; startedAt: string; arrived: number; answered: number }[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const receiver = await startWebhookReceiver({
      respond: async (delivery) => {
        const arrived = ++step;
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(delays() * 25)));
        inFlight--;
        const b = delivery.body;
        events.push({ history: JSON.stringify([b.workspace.id, b.threadId, b.user?.id ?? null, b.apiSessionId]), startedAt: b.startedAt, arrived, answered: ++step });
        return { status: 200 };
      },
    });
    try {
      const result = await runCli(['run', '--now', iso(nowMs), '--concurrency', '4'], cliEnv(standIn, receiver, await tempDir()));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.deepEqual(acceptedKeys(receiver).sort(), closedKeys(chats, nowMs));
      assert.ok(events.every((e) => e.arrived > lastPageStep), 'no POST before the last page was read');
      const byHistory = new Map<string, typeof events>();
      for (const e of events) byHistory.set(e.history, [...(byHistory.get(e.history) ?? []), e]);
      for (const [history, sent] of byHistory) {
        sent.sort((a, b) => a.arrived - b.arrived);
        for (let i = 1; i < sent.length; i++) {
          assert.ok(sent[i]!.startedAt >= sent[i - 1]!.startedAt, `history ${history} oldest first`);
          assert.ok(sent[i]!.arrived > sent[i - 1]!.answered, `history ${history}: the next POST only after the previous outcome`);
        }
      }
      assert.ok(byHistory.size > 4 && mostInFlight > 1 && mostInFlight <= 4, `concurrency spreads over histories (at most ${mostInFlight} in flight)`);
      // Oldest first overall: a conversation never starts before one that started earlier and is free (its history idle).
      const arrivals = [...events].sort((a, b) => a.arrived - b.arrived);
      const oldest = [...events].map((e) => e.startedAt).sort()[0];
      assert.ok(arrivals.slice(0, 4).some((e) => e.startedAt === oldest), 'the oldest conversation is among the first four sent');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});

describe('slow receivers (DESIGN §3)', () => {
  const chats = [makeChat({ id: 1, createdAt: iso(t0) })];

  it('a webhook that answers after longer than HTTP_TIMEOUT is called once: WEBHOOK_TIMEOUT (120 s) bounds it, not the source timeout', async () => {
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver({ respond: () => ({ status: 200, delayMs: 1_500 }) });
    try {
      const result = await runCli(['run', '--now', iso(t0 + 2 * hour)], cliEnv(standIn, receiver, await tempDir(), { HTTP_TIMEOUT: '300' }));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(receiver.deliveries.length, 1);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('an attempt past WEBHOOK_TIMEOUT is retried with the same Idempotency-Key, and the log says it may have been processed', async () => {
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver({ respond: (_, attempt) => ({ status: 200, delayMs: attempt === 1 ? 1_500 : 0 }) });
    try {
      const result = await runCli(['run', '--now', iso(t0 + 2 * hour)], cliEnv(standIn, receiver, await tempDir(), { WEBHOOK_TIMEOUT: '300' }));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(receiver.deliveries.length, 2);
      assert.equal(receiver.deliveries[0]?.idempotencyKey, receiver.deliveries[1]?.idempotencyKey);
      const line = result.lines.find((l) => /may have been processed; resent with the same Idempotency-Key/.test(l['msg']));
      assert.equal(line?.['idempotencyKey'], receiver.deliveries[0]?.idempotencyKey);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
