import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { classifyGenerated, generateChats } from './fixtures/chat-generator.ts';
import type { RawChat } from './fixtures/raw-chat.ts';
import { referenceConversations } from './fixtures/reference-conversations.ts';
import { startWebhookReceiver, type Receiver } from './fixtures/webhook-receiver.ts';
import { runCli, startHoldingRun, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
const secret = 'whsec_' + Buffer.from('a test secret of 32 bytes!......').toString('base64');
const key = (ids: readonly number[]) => [...ids].sort((a, b) => a - b).join(',');
const chatIdsOf = (body: { messages: { chatId: number }[] }) => [...new Set(body.messages.map((m) => m.chatId))];

function env(standIn: StandIn, receiver: Receiver, stateDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { BASE_URL: standIn.url, API_KEY: standIn.apiKey, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: secret, STATE_DIR: stateDir, RETRY_MIN_DELAY: '10', ...extra };
}

// Every accepted conversation, as sorted chat-id lists; asserts none arrived twice.
function receivedOnce(receiver: Receiver): string[] {
  const keys = receiver.deliveries.filter((d) => d.status < 300).map((d) => key(chatIdsOf(d.body)));
  assert.equal(new Set(keys).size, keys.length, 'no conversation arrives twice');
  const chats = receiver.deliveries.filter((d) => d.status < 300).flatMap((d) => chatIdsOf(d.body));
  assert.equal(new Set(chats).size, chats.length, 'no chat arrives twice');
  return keys.sort();
}

describe('one night against the AnythingLLM stand-in', () => {
  const end = Date.parse('2026-11-24T09:00:00Z');
  let nowMs: number;
  let now: string;
  let chats: RawChat[];
  let standIn: StandIn;
  let receiver: Receiver;

  before(async () => {
    chats = generateChats({ count: 3000, seed: 7, start: new Date(end - 20 * 24 * hour), end: new Date(end), workspaces: 4, threadsPerWorkspace: 3, hiddenRate: 0.03, badRate: 0.01, realNowMs: Date.now() });
    // Ten minutes after the newest valid chat: its conversation, at least, is still open.
    nowMs = Math.max(...chats.filter((chat) => classifyGenerated(chat) !== 'bad').map((chat) => Date.parse(String(chat['createdAt'])))) + 10 * 60_000;
    now = new Date(nowMs).toISOString();
    standIn = await startStandIn({ chats });
    receiver = await startWebhookReceiver({ secret });
  });
  after(async () => {
    await standIn.close();
    await receiver.close();
  });

  it('sends every closed conversation once, whole and signed, holds open ones, quarantines bad records, exits 0', async () => {
    const result = await runCli(['run', '--now', now], env(standIn, receiver, await tempDir()));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const expected = referenceConversations(chats, { gapMs: hour, nowMs });
    assert.deepEqual(receivedOnce(receiver), expected.filter((c) => c.closed).map((c) => key(c.chatIds)).sort());
    assert.ok(receiver.deliveries.every((d) => d.signatureValid === true), 'every delivery carries a valid signature');
    assert.ok(receiver.deliveries.every((d) => d.idempotencyKey === d.body.id && d.headers['webhook-id'] === d.body.id));

    const byId = new Map(chats.map((chat) => [chat['id'], chat]));
    for (const { body } of receiver.deliveries) {
      for (const message of body.messages) {
        const chat = byId.get(message.chatId) as RawChat;
        if (message.role === 'user') assert.equal(message.content, chat['prompt']);
        else assert.ok(String(chat['response']).includes(JSON.stringify(message.content).slice(1, -1)) || chat['response'] === message.content, `reply text of chat ${message.chatId}`);
      }
    }
    const summary = summaryOf(result);
    const bad = chats.filter((chat) => classifyGenerated(chat) === 'bad').length;
    const hidden = chats.filter((chat) => classifyGenerated(chat) === 'hidden').length;
    assert.ok(bad > 0 && hidden > 0);
    assert.deepEqual([summary?.['chats']['read'], summary?.['chats']['quarantined'], summary?.['chats']['skipped']], [3000, bad, hidden]);
    assert.equal(summary?.['conversations']['open'], expected.filter((c) => !c.closed).length);
    assert.ok(summary?.['conversations']['open'] > 0, 'the sample has open conversations to hold');
    assert.ok(!result.stdout.includes(String(chats.find((c) => typeof c['prompt'] === 'string' && String(c['prompt']).length > 20)?.['prompt'])), 'no message text in the logs');
  });
});

describe('two nights in a row', () => {
  it('sends conversations open on night one whole on night two, and nothing twice', async () => {
    const t1 = Date.parse('2026-11-23T09:00:00Z');
    const t2 = t1 + 24 * hour;
    const all = generateChats({ count: 1500, seed: 11, start: new Date(t1 - 5 * 24 * hour), end: new Date(t2), hiddenRate: 0.02, badRate: 0, realNowMs: Date.now() });
    const standIn = await startStandIn({ chats: all.filter((chat) => Date.parse(String(chat['createdAt'])) <= t1) });
    const receiver = await startWebhookReceiver({ secret });
    try {
      const stateDir = await tempDir();
      const first = await runCli(['--now', new Date(t1).toISOString()], env(standIn, receiver, stateDir));
      assert.equal(first.code, 0, first.stdout + first.stderr);
      const openOnNightOne = referenceConversations(standIn.chats, { gapMs: hour, nowMs: t1 }).filter((c) => !c.closed);
      assert.ok(openOnNightOne.length > 0, 'night one leaves conversations open');

      standIn.add(...all.filter((chat) => Date.parse(String(chat['createdAt'])) > t1));
      const second = await runCli(['--now', new Date(t2).toISOString()], env(standIn, receiver, stateDir));
      assert.equal(second.code, 0, second.stdout + second.stderr);

      const received = receivedOnce(receiver);
      const expected = referenceConversations(all, { gapMs: hour, nowMs: t2 }).filter((c) => c.closed).map((c) => key(c.chatIds));
      assert.deepEqual(received, expected.sort());
      const grownOrWhole = openOnNightOne.filter((open) => received.some((k) => open.chatIds.every((id) => k.split(',').includes(String(id)))));
      assert.ok(grownOrWhole.length > 0, 'conversations open on night one arrive whole on night two');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});

describe('one run at a time', () => {
  it('a second run started while one runs says who holds STATE_DIR, exits 3, and the first run is unharmed', async () => {
    const end = Date.parse('2026-11-24T09:00:00Z');
    const chats = generateChats({ count: 400, seed: 3, start: new Date(end - 3 * 24 * hour), end: new Date(end), realNowMs: Date.now() });
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver({ secret });
    try {
      const stateDir = await tempDir();
      const first = await startHoldingRun(env(standIn, receiver, stateDir), standIn, ['--now', new Date(end).toISOString()]);
      const second = await runCli(['--now', new Date(end).toISOString()], env(standIn, receiver, stateDir));
      assert.equal(second.code, 3);
      const complaints = second.lines.filter((line) => line['level'] >= 50);
      assert.equal(complaints.length, 1, second.stdout);
      assert.match(complaints[0]?.['msg'], new RegExp(`^another memory-cron run holds .* \\(pid ${first.child.pid}, \`memory-cron --now [^\`]+\`, since \\d{4}-`));
      first.release();
      const done = await first.done;
      assert.equal(done.code, 0, done.stdout + done.stderr);
      const expected = referenceConversations(chats, { gapMs: hour, nowMs: end }).filter((c) => c.closed).map((c) => key(c.chatIds));
      assert.deepEqual(receivedOnce(receiver), expected.sort());
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});

describe('no delivery while paging (DESIGN §2)', () => {
  it('a conversation spanning the whole history arrives whole, once, after the last page was read', async () => {
    const start = Date.parse('2026-10-01T00:00:00Z');
    const rows: { workspaceId: number; thread_id: number; at: number }[] = [];
    // Thread 1: a turn every 50 minutes for 120 hours — one conversation, its turns spread thin over every page.
    for (let i = 0; i < 144; i++) rows.push({ workspaceId: 1, thread_id: 1, at: start + i * 50 * 60_000 });
    // Threads 2–11: sessions of five turns a minute apart, every two hours, staggered — the bulk of each page.
    for (let thread = 2; thread <= 11; thread++) {
      for (let session = 0; session < 60; session++) {
        for (let turn = 0; turn < 5; turn++) rows.push({ workspaceId: 1, thread_id: thread, at: start + session * 2 * hour + thread * 11 * 60_000 + turn * 60_000 });
      }
    }
    rows.sort((a, b) => a.at - b.at);
    const chats = rows.map((row, index) => ({ id: index + 1, workspaceId: row.workspaceId, thread_id: row.thread_id, prompt: `p${index}`, response: '{"text":"r"}', include: true, workspace: { name: 'W', slug: 'w' }, createdAt: new Date(row.at).toISOString() }));
    const nowMs = start + 122 * hour;
    const standIn = await startStandIn({ chats });
    let step = 0;
    let lastPage = 0;
    standIn.onPage = () => void (lastPage = ++step);
    const arrivals: number[] = [];
    const receiver = await startWebhookReceiver({ secret, respond: () => (arrivals.push(++step), { status: 200 }) });
    try {
      // The span cap off: the 120-hour conversation is one (MAX_CONVERSATION_SPAN would send it in 24-hour parts).
      const result = await runCli(['--now', new Date(nowMs).toISOString()], env(standIn, receiver, await tempDir(), { MAX_CONVERSATION_SPAN: '0' }));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.ok(arrivals.length > 0 && arrivals.every((at) => at > lastPage), 'every POST came after the last page was read');
      const expected = referenceConversations(chats, { gapMs: hour, nowMs }).filter((c) => c.closed);
      assert.ok(expected.some((c) => c.threadId === 1 && c.chatIds.length === 144), 'the long conversation is one');
      assert.deepEqual(receivedOnce(receiver), expected.map((c) => key(c.chatIds)).sort());
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});
