// DESIGN §3/§4 against a misbehaving webhook: one conversation of five is answered with a fault, and the receiver
// counts the attempts: retries + 1 for what is retried, 1 for a permanent 4xx. Exhausted retries leave a dead letter
// that the next run sends; a permanent refusal is parked and not sent again; ten failures in a row stop delivery.
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { startWebhookReceiver, type Delivery, type Reply } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, faultCliEnv, secret } from './helpers/cli-env.js';
import { assertDeliveredExactly, errorCodes, hour, outcome, snapshotState } from './helpers/guarantees.ts';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';
import { threadConversations } from './helpers/thread-conversations.ts';

const base = Date.parse('2026-11-23T06:00:00Z');
const now = new Date(base + 24 * hour).toISOString();
const retries = 2;
// `count` conversations of two turns, each in its own thread, all closed by `now`.
const conversations = (count: number) => threadConversations(count, base);
const isTarget = (delivery: Delivery) => chatIdsOf(delivery.body).includes(5); // the third conversation of five

const figures = { cases: 0, faults: new Map<string, number>(), attempts: 0, lost: 0, underTwoKeys: 0 };

/** One webhook fault, served to the target conversation on the first run. */
interface HookCase {
  readonly name: string;
  readonly reply: (attempt: number) => Reply;
  /** POSTs of the target the receiver must count on the first run. */
  readonly attempts: number;
  readonly becomes: 'sent' | 'dead' | 'parked';
  readonly env?: Record<string, string>;
  readonly check?: (posts: Delivery[]) => void;
}

const always = (reply: Reply) => () => reply;
const firstThen = (reply: Reply) => (attempt: number): Reply => (attempt === 1 ? reply : { status: 200 });
const slow = { WEBHOOK_TIMEOUT: '300' };

const cases: HookCase[] = [
  { name: 'a 503 once', reply: firstThen({ status: 503 }), attempts: 2, becomes: 'sent' },
  { name: 'a 503 every time', reply: always({ status: 503 }), attempts: retries + 1, becomes: 'dead' },
  { name: 'a 429 with Retry-After: 0.2, once', reply: firstThen({ status: 429, headers: { 'Retry-After': '0.2' } }), attempts: 2, becomes: 'sent', check: apart(200) },
  { name: 'a 429 every time', reply: always({ status: 429, headers: { 'Retry-After': '0' } }), attempts: retries + 1, becomes: 'dead' },
  { name: 'a 2xx slower than WEBHOOK_TIMEOUT (stored, answer lost)', reply: firstThen({ status: 200, delayMs: 1_500 }), attempts: 2, becomes: 'sent', env: slow },
  { name: 'a 503 slower than WEBHOOK_TIMEOUT every time', reply: always({ status: 503, delayMs: 1_500 }), attempts: retries + 1, becomes: 'dead', env: slow },
  { name: 'a connection reset once', reply: firstThen({ reset: true }), attempts: 2, becomes: 'sent' },
  { name: 'a connection reset every time', reply: always({ reset: true }), attempts: retries + 1, becomes: 'dead' },
  { name: 'a 410', reply: always({ status: 410, body: 'gone' }), attempts: 1, becomes: 'parked' },
  { name: 'a 400', reply: always({ status: 400, body: '{"error":"messages[0].content too long"}' }), attempts: 1, becomes: 'parked' },
  { name: 'a 401', reply: always({ status: 401 }), attempts: 1, becomes: 'parked' },
];

describe('webhook faults', { concurrency: 2 }, () => {
  after(() => {
    const kinds = [...figures.faults].map(([kind, n]) => `${kind} ${n}`).join(', ');
    console.log(`guarantees: webhook fault cases ${figures.cases}, faults injected per kind: ${kinds}; POSTs counted ${figures.attempts}; chats lost ${figures.lost}, chats under two keys ${figures.underTwoKeys}`);
  });

  for (const c of cases) {
    const verdict = { sent: 'retried, then sent once', dead: `${c.attempts} attempts, a dead letter (exit 6) the next run sends`, parked: 'one attempt, parked (exit 6), not sent again' }[c.becomes];
    it(`${c.name}: ${verdict}`, async () => {
      const chats = conversations(5);
      let faulty = true;
      const standIn = await startStandIn({ chats: [...chats] });
      const receiver = await startWebhookReceiver({ secret, respond: (delivery, attempt) => (faulty && isTarget(delivery) ? c.reply(attempt) : { status: 200 }) });
      const stateDir = await tempDir();
      try {
        const env = faultCliEnv(standIn, receiver, stateDir, { RETRIES: String(retries), ...c.env });
        const first = await runCli(['--now', now], env);
        const targetPosts = receiver.deliveries.filter(isTarget);
        figures.attempts += receiver.deliveries.length;
        const kind = describeReply(c.reply(1));
        figures.faults.set(kind, (figures.faults.get(kind) ?? 0) + (c.becomes === 'sent' ? c.attempts - 1 : c.attempts));
        assert.equal(targetPosts.length, c.attempts, `the receiver counts ${c.attempts} POSTs of the target`);
        assert.equal(receiver.deliveries.filter((d) => !isTarget(d)).length, 4, 'every other conversation is POSTed once');
        c.check?.(targetPosts);
        const summary = summaryOf(first);
        const state = await snapshotState(stateDir);
        if (c.becomes === 'sent') {
          assert.equal(first.code, 0, outcome(first));
          assert.equal(receiver.accepted.size, 5);
        } else {
          assert.equal(first.code, 6, outcome(first));
          assert.deepEqual(errorCodes(first), ['MC_DEAD_LETTERS']);
          const problem = first.lines.find((line) => line['code'] === 'MC_DEAD_LETTERS')?.['msg'] ?? '';
          if (c.becomes === 'dead') assert.ok(problem.includes('the dead letter is retried by the next run') && !problem.includes('dead-letters retry'), problem);
          else assert.ok(problem.includes('the parked one (refused with a permanent 4xx) waits in the outbox for `memory-cron dead-letters retry`') && !problem.includes('next run'), problem);
          assert.deepEqual([summary?.['conversations']['dead'], summary?.['conversations']['parked']], c.becomes === 'dead' ? [1, 0] : [0, 1]);
          assert.deepEqual(state.outbox.map((e) => [e.status, e.chatIds]), [[c.becomes, [5, 6]]], 'the target waits in the outbox');
          assert.ok(/HTTP \d{3}|no reply within|ECONNRESET|socket|terminated|other side closed/i.test(state.outbox[0]?.lastError ?? ''), `the last error is kept: ${state.outbox[0]?.lastError}`);
        }

        faulty = false;
        const next = await runCli(['--now', now], env);
        assert.equal(next.code, 0, outcome(next));
        // A parked conversation of an earlier night: exit 0 still, with one warning saying what it waits for.
        const waiting = next.lines.filter((line) => line['code'] === 'MC_PARKED_WAITING');
        if (c.becomes === 'parked') {
          assert.deepEqual(waiting.map((line) => [line['level'], line['parked']]), [[40, 1]], outcome(next));
          assert.match(waiting[0]?.['msg'], /^1 parked conversation \(refused by the webhook with a permanent 4xx or redirected, this night or earlier\) waits in the outbox for `memory-cron dead-letters retry`/);
        } else {
          assert.deepEqual(waiting, [], 'no warning without parked conversations');
        }
        const targetPostsAfter = receiver.deliveries.filter(isTarget).length - targetPosts.length;
        assert.equal(targetPostsAfter, c.becomes === 'dead' ? 1 : 0, c.becomes === 'dead' ? 'the next run sends the dead letter' : 'nothing is sent again');
        assert.equal(receiver.deliveries.filter((d) => !isTarget(d)).length, 4, 'no other conversation is POSTed again');
        const final = await snapshotState(stateDir);
        if (c.becomes === 'parked') {
          assert.deepEqual(final.outbox.map((e) => [e.status, e.attempts]), [['parked', 1]], 'the parked conversation stays parked, with its error');
          assert.equal(receiver.accepted.size, 4);
        } else {
          assertDeliveredExactly(receiver, chats, Date.parse(now), final, { tally: figures });
        }
        figures.cases++;
      } finally {
        await Promise.all([standIn.close(), receiver.close()]);
      }
    });
  }

  it('ten failed deliveries in a row: the webhook is taken to be down, exit 6, and the next run sends the rest once', async () => {
    const chats = conversations(16);
    let down = true;
    const standIn = await startStandIn({ chats: [...chats] });
    const receiver = await startWebhookReceiver({ secret, respond: () => (down ? { status: 503 } : { status: 200 }) });
    const stateDir = await tempDir();
    try {
      const env = faultCliEnv(standIn, receiver, stateDir, { RETRIES: '1' });
      const first = await runCli(['--now', now], env);
      assert.equal(first.code, 6, outcome(first));
      assert.deepEqual(errorCodes(first), ['MC_WEBHOOK_DOWN', 'MC_WEBHOOK_DOWN'], 'the moment it is taken to be down, and the run\'s last line');
      const tried = new Set(receiver.deliveries.map((d) => d.idempotencyKey));
      figures.faults.set('HTTP 503', (figures.faults.get('HTTP 503') ?? 0) + receiver.deliveries.length);
      assert.ok(tried.size >= 10 && tried.size < 16, `delivery stopped after ten failures (${tried.size} conversations tried of 16)`);
      assert.ok(receiver.deliveries.length === 2 * tried.size, 'each tried conversation was retried once (RETRIES=1)');
      const state = await snapshotState(stateDir);
      assert.equal(state.outbox.filter((e) => e.status === 'dead').length, tried.size, 'every failed conversation is a dead letter');
      assert.ok(state.turns.length > 0 || state.outbox.some((e) => e.status === 'pending'), 'the rest waits, staged or frozen in the outbox, for the next run');

      down = false;
      const next = await runCli(['--now', now], env);
      assert.equal(next.code, 0, outcome(next));
      figures.attempts += receiver.deliveries.length;
      assertDeliveredExactly(receiver, chats, Date.parse(now), await snapshotState(stateDir), { tally: figures });
      figures.cases++;
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });

  it('one dead and one parked in the same run: the next run sends the dead one only', async () => {
    const chats = conversations(5);
    let faulty = true;
    const standIn = await startStandIn({ chats: [...chats] });
    const receiver = await startWebhookReceiver({
      secret,
      respond: (delivery) => (!faulty ? { status: 200 } : chatIdsOf(delivery.body).includes(1) ? { status: 503 } : chatIdsOf(delivery.body).includes(9) ? { status: 422 } : { status: 200 }),
    });
    const stateDir = await tempDir();
    try {
      const env = faultCliEnv(standIn, receiver, stateDir, { RETRIES: String(retries) });
      const first = await runCli(['--now', now], env);
      assert.equal(first.code, 6, outcome(first));
      assert.deepEqual(summaryOf(first)?.['conversations'], { ...summaryOf(first)?.['conversations'], sent: 3, dead: 1, parked: 1 });
      assert.match(first.lines.find((line) => line['summary'] !== undefined)?.['msg'], /, 1 dead, 1 parked$/, 'the summary line counts dead and parked apart');
      assert.match(first.lines.at(-1)?.['msg'], /^1 dead letter and 1 parked conversation left by this run \(last error: .*\): the dead letter is retried by the next run; the parked one \(refused with a permanent 4xx\) waits in the outbox for `memory-cron dead-letters retry`; see `memory-cron dead-letters`$/);
      faulty = false;
      const posts = receiver.deliveries.length;
      const next = await runCli(['--now', now], env);
      assert.equal(next.code, 0, outcome(next));
      assert.deepEqual(receiver.deliveries.slice(posts).map((d) => chatIdsOf(d.body)), [[1, 2]], 'only the dead letter is sent again');
      assert.deepEqual((await snapshotState(stateDir)).outbox.map((e) => [e.status, e.chatIds]), [['parked', [9, 10]]]);
      figures.faults.set('HTTP 503', (figures.faults.get('HTTP 503') ?? 0) + retries + 1);
      figures.faults.set('HTTP 422', (figures.faults.get('HTTP 422') ?? 0) + 1);
      figures.cases++;
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });
});

function describeReply(reply: Reply): string {
  if ('reset' in reply) return 'connection reset';
  return `HTTP ${reply.status}${reply.delayMs ? ' past the timeout' : ''}${reply.headers?.['Retry-After'] ? ' + Retry-After' : ''}`;
}

// The retry came at least `ms` after the refused attempt: the Retry-After was honoured.
function apart(ms: number) {
  return (posts: Delivery[]) => {
    const gap = (posts[1]?.at ?? 0) - (posts[0]?.at ?? 0);
    assert.ok(gap >= ms - 5, `the retry waited ${gap} ms for Retry-After`);
  };
}
