import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseBackfillDate } from '../src/config/backfill-date.js';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { classifyGenerated, generateChats } from './fixtures/chat-generator.ts';
import { makeChat, type RawChat } from './fixtures/raw-chat.ts';
import { referenceConversations } from './fixtures/reference-conversations.ts';
import { startWebhookReceiver, type Delivery, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, chatKey, cliEnv, createdMs, dayIn } from './helpers/cli-env.js';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
const day = 24 * hour;

// The closed conversations the oracle forms among `chats` at `nowMs`, as chat-id keys.
function expectedClosed(chats: readonly RawChat[], nowMs: number): string[] {
  return referenceConversations(chats, { gapMs: hour, nowMs }).filter((c) => c.closed).map((c) => chatKey(c.chatIds)).sort();
}

// What the receiver accepted from `from` on, as chat-id keys (each accepted once).
function accepted(receiver: Receiver, from = 0): Delivery[] {
  return receiver.deliveries.slice(from).filter((d) => d.status >= 200 && d.status < 300);
}
const keysOf = (deliveries: readonly Delivery[]) => deliveries.map((d) => chatKey(chatIdsOf(d.body))).sort();

describe('backfill and redeliver against the AnythingLLM stand-in', () => {
  // A fixed instant in the real past (no chat is "more than a day in the future"), so the conversations that
  // straddle DAY1 are the same whenever the test runs.
  const end = Date.parse('2026-11-20T15:00:00Z');
  const day1 = dayIn(end - 9 * day);
  const day0 = dayIn(end - 19 * day);
  const d1 = parseBackfillDate(day1, 'America/Chicago').getTime();
  const d0 = parseBackfillDate(day0, 'America/Chicago').getTime();
  const old = generateChats({ count: 2000, seed: 31, start: new Date(end - 30 * day), end: new Date(end), hiddenRate: 0.02, badRate: 0, realNowMs: Date.now() });
  // One conversation straddles DAY1 for sure: the last chat before it and the first after it, ten minutes apart in one chat history.
  const byTime = [...old].sort((a, b) => createdMs(a) - createdMs(b));
  const [lastBefore, firstAfter] = [byTime.filter((chat) => createdMs(chat) < d1).at(-1) as RawChat, byTime.find((chat) => createdMs(chat) >= d1) as RawChat];
  Object.assign(lastBefore, { workspaceId: firstAfter['workspaceId'], thread_id: firstAfter['thread_id'], user_id: firstAfter['user_id'], api_session_id: firstAfter['api_session_id'], user: firstAfter['user'], workspace: firstAfter['workspace'], include: true, createdAt: new Date(d1 - 5 * 60_000).toISOString() });
  Object.assign(firstAfter, { include: true, createdAt: new Date(d1 + 5 * 60_000).toISOString() });
  const t1 = Math.max(...old.map(createdMs)) + 10 * 60_000; // the newest conversation is still open on night one
  const fresh = generateChats({ count: 150, seed: 32, start: new Date(t1 + 60_000), end: new Date(t1 + 20 * hour), firstId: 2001, workspaces: 2, realNowMs: Date.now() });
  const t2 = Math.max(...fresh.map(createdMs)) + 10 * 60_000;
  const t3 = t2 + day;
  const since = (chats: readonly RawChat[], from: number, to = Number.POSITIVE_INFINITY) => chats.filter((chat) => createdMs(chat) >= from && createdMs(chat) < to);
  let standIn: StandIn;
  let receiver: Receiver;
  let stateDir: string;
  const at = { night2: 0, backfill0: 0, redeliver: 0 };

  before(async () => {
    assert.ok(old.every((chat) => classifyGenerated(chat) !== 'bad'));
    standIn = await startStandIn({ chats: [...old] });
    receiver = await startWebhookReceiver();
    stateDir = await tempDir();
  });
  after(async () => {
    await standIn.close();
    await receiver.close();
  });

  it('a first install with --backfill DAY sends exactly the conversations among the chats since that midnight in America/Chicago', async () => {
    const result = await runCli(['run', '--backfill', day1, '--now', new Date(t1).toISOString()], cliEnv(standIn, receiver, stateDir));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(keysOf(accepted(receiver)), expectedClosed(since(old, d1), t1));
    const summary = summaryOf(result);
    assert.equal(summary?.['backfill'], new Date(d1).toISOString());
    assert.equal(summary?.['floor'], new Date(d1).toISOString());
    assert.ok(summary?.['pages'] < 100, `paging stopped soon after DATE, not at the end of history (${summary?.['pages']} pages)`);
  });

  it('the next night sends the new conversations and nothing older than DATE', async () => {
    standIn.add(...fresh);
    at.night2 = receiver.deliveries.length;
    const result = await runCli(['run', '--now', new Date(t2).toISOString()], cliEnv(standIn, receiver, stateDir));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const all = since([...old, ...fresh], d1);
    const expected = expectedClosed(all, t2).filter((key) => !expectedClosed(since(old, d1), t1).includes(key));
    assert.deepEqual(keysOf(accepted(receiver, at.night2)), expected);
    assert.ok(accepted(receiver).every((d) => d.body.messages.every((m: { createdAt: string }) => Date.parse(m.createdAt) >= d1)));
  });

  it('--backfill to an earlier day sends only the conversations among the chats between the two days', async () => {
    at.backfill0 = receiver.deliveries.length;
    const result = await runCli(['run', '--backfill', day0, '--now', new Date(t2).toISOString()], cliEnv(standIn, receiver, stateDir));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(keysOf(accepted(receiver, at.backfill0)), expectedClosed(since(old, d0, d1), t2));
    assert.equal(summaryOf(result)?.['floor'], new Date(d0).toISOString(), 'the floor moved back to the earlier day');
    assert.equal(summaryOf(result)?.['cursorAfter'], 2150, 'the cursor did not move back');
    const older = accepted(receiver, at.backfill0);
    assert.ok(older.length > 0 && older.every((d) => d.body.continues === null), 'older conversations never continue a later one');
  });

  it('after the memory store lost everything, --backfill --redeliver sends every conversation since DATE again, regrouped, with new keys', async () => {
    const before = new Map(accepted(receiver).map((d) => [chatKey(chatIdsOf(d.body)), d.body.id as string]));
    const earlierKeys = new Set(accepted(receiver).map((d) => d.idempotencyKey));
    receiver.clear();
    const result = await runCli(['run', '--backfill', day0, '--redeliver', '--now', new Date(t2).toISOString()], cliEnv(standIn, receiver, stateDir));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const replayed = accepted(receiver);
    // Regrouped as if none had been sent: the conversations cut at DAY1 by the first install are whole again.
    assert.deepEqual(keysOf(replayed), expectedClosed(since([...old, ...fresh], d0), t2));
    assert.equal(replayed.length, receiver.accepted.size, 'each accepted by the deduplicating receiver');
    assert.ok(replayed.every((d) => d.body && !d.raw.includes('"duplicate"')));
    const suffix = summaryOf(result)?.['replay']?.['key'];
    assert.match(suffix, /^replay-\d{8}T\d{9}Z$/);
    for (const d of replayed) {
      assert.equal(d.idempotencyKey, `${d.body.id}.${suffix}`);
      assert.equal(d.headers['webhook-id'], d.idempotencyKey);
      assert.ok(!earlierKeys.has(d.idempotencyKey));
      const earlier = before.get(chatKey(chatIdsOf(d.body)));
      if (earlier !== undefined) assert.equal(d.body.id, earlier, 'same chats, same id');
    }
    const same = replayed.filter((d) => before.has(chatKey(chatIdsOf(d.body)))).length;
    assert.ok(same > replayed.length / 2, `most conversations are identical to ones sent before (${same}/${replayed.length})`);
    assert.ok(replayed.some((d) => !before.has(chatKey(chatIdsOf(d.body)))), 'some were cut at DAY1 before and are whole now');
    at.redeliver = receiver.deliveries.length;
  });

  it('after a redeliver the state is as if those conversations were sent now: the next night sends only what was open, whole', async () => {
    const result = await runCli(['run', '--now', new Date(t3).toISOString()], cliEnv(standIn, receiver, stateDir));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const all = since([...old, ...fresh], d0);
    const openAtT2 = referenceConversations(all, { gapMs: hour, nowMs: t2 }).filter((c) => !c.closed).map((c) => chatKey(c.chatIds)).sort();
    assert.ok(openAtT2.length > 0);
    assert.deepEqual(keysOf(accepted(receiver, at.redeliver)), openAtT2);
    const again = await runCli(['run', '--now', new Date(t3).toISOString()], cliEnv(standIn, receiver, stateDir));
    assert.equal(again.code, 0);
    assert.equal(summaryOf(again)?.['conversations']['sent'], 0, 'nothing is sent twice afterwards');
  });
});

describe('a first install with --backfill on a recent day', () => {
  it('later nights leave alone the older chats they meet on the overlap page', async () => {
    const end = Math.floor(Date.now() / hour) * hour - 3 * day;
    const chats = Array.from({ length: 60 }, (_, i) => makeChat({ id: i + 1, createdAt: new Date(end - (60 - i) * 2 * hour).toISOString() }));
    const cut = end - 10 * hour; // five chats since
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    try {
      const stateDir = await tempDir();
      const first = await runCli(['run', '--backfill', new Date(cut).toISOString(), '--now', new Date(end + 2 * hour).toISOString()], cliEnv(standIn, receiver, stateDir));
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.deepEqual(keysOf(accepted(receiver)), ['56', '57', '58', '59', '60']);
      standIn.add(makeChat({ id: 61, createdAt: new Date(end + hour).toISOString() }));
      const second = await runCli(['run', '--now', new Date(end + 4 * hour).toISOString()], cliEnv(standIn, receiver, stateDir));
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.deepEqual(keysOf(accepted(receiver)), ['56', '57', '58', '59', '60', '61']);
      // Page 0 holds chat 61, the five since DATE and 14 older ones; page 1, the overlap page, 20 older ones.
      assert.equal(summaryOf(second)?.['chats']['older'], 34, 'the older chats on both pages were left alone');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('refuses --redeliver without --backfill, and a --backfill that is not a date, with exit 2 naming the flag', async () => {
    const stateDir = await tempDir();
    const env = { BASE_URL: 'http://127.0.0.1:9', API_KEY: 'k', WEBHOOK_URL: 'http://127.0.0.1:9/hook', STATE_DIR: stateDir };
    const redeliver = await runCli(['run', '--redeliver'], env);
    assert.equal(redeliver.code, 2);
    assert.match(redeliver.stderr, /--redeliver needs --backfill DATE/);
    const bad = await runCli(['run', '--backfill', 'last tuesday'], env);
    assert.equal(bad.code, 2);
    assert.match((JSON.parse(bad.stderr) as { msg: string }).msg, /^--backfill "last tuesday" is not a date/, 'one JSON line on stderr (a pipe), naming the flag');
  });
});

describe('--redeliver and the outbox', () => {
  it('a conversation waiting as a dead letter is sent once by the replay, with the replay key, and is no dead letter afterwards', async () => {
    const end = Math.floor(Date.now() / hour) * hour - 3 * day;
    const chats = [
      ...[0, 10, 20].map((m, i) => makeChat({ id: i + 1, thread_id: 1, createdAt: new Date(end - 5 * hour + m * 60_000).toISOString() })),
      ...[0, 10].map((m, i) => makeChat({ id: i + 4, thread_id: 2, createdAt: new Date(end - 4 * hour + m * 60_000).toISOString() })),
    ];
    let failing = true;
    const receiver = await startWebhookReceiver({ respond: (d) => (failing && d.body.threadId === 1 ? { status: 503 } : { status: 200 }) });
    const standIn = await startStandIn({ chats });
    try {
      const stateDir = await tempDir();
      const env = cliEnv(standIn, receiver, stateDir, { RETRIES: '0' });
      const now = new Date(end).toISOString();
      assert.equal((await runCli(['run', '--now', now], env)).code, 6, 'thread 1 ends as a dead letter');
      failing = false;
      receiver.clear();
      const replay = await runCli(['run', '--backfill', new Date(end - day).toISOString(), '--redeliver', '--now', now], env);
      assert.equal(replay.code, 0, replay.stdout);
      assert.deepEqual(keysOf(accepted(receiver)), ['1,2,3', '4,5']);
      assert.ok(accepted(receiver).every((d) => d.idempotencyKey?.startsWith(`${d.body.id}.replay-`)));
      const letters = JSON.parse((await runCli(['dead-letters', '--json'], { STATE_DIR: stateDir })).stdout) as { count: number };
      assert.equal(letters.count, 0);
      const next = await runCli(['run', '--now', now], env);
      assert.equal(summaryOf(next)?.['conversations']['sent'], 0);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('a dead letter that started before DATE keeps its chats and is sent whole once more, beside the replayed conversation', async () => {
    const end = Math.floor(Date.now() / hour) * hour - 3 * day;
    const chats = [0, 10, 20].map((m, i) => makeChat({ id: i + 1, thread_id: 1, createdAt: new Date(end - 5 * hour + m * 60_000).toISOString() }));
    let failing = true;
    const receiver = await startWebhookReceiver({ respond: () => (failing ? { status: 503 } : { status: 200 }) });
    const standIn = await startStandIn({ chats });
    try {
      const stateDir = await tempDir();
      const env = cliEnv(standIn, receiver, stateDir, { RETRIES: '0' });
      const now = new Date(end).toISOString();
      assert.equal((await runCli(['run', '--now', now], env)).code, 6, 'the conversation ends as a dead letter');
      failing = false;
      receiver.clear();
      // DATE falls between chats 1 and 2: the replay regroups chats 2 and 3 and takes their turns over.
      const replay = await runCli(['run', '--backfill', new Date(end - 5 * hour + 5 * 60_000).toISOString(), '--redeliver', '--now', now], env);
      assert.equal(replay.code, 0, replay.stdout);
      const sent = accepted(receiver).map((d) => `${chatKey(chatIdsOf(d.body))} ${d.idempotencyKey === d.body.id ? 'own key' : 'replay key'}`).sort();
      assert.deepEqual(sent, ['1,2,3 own key', '2,3 replay key']);
      const letters = JSON.parse((await runCli(['dead-letters', '--json'], { STATE_DIR: stateDir })).stdout) as { count: number; pending: number };
      assert.deepEqual([letters.count, letters.pending], [0, 0]);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});
