// DESIGN §4 under kill -9: the built CLI is SIGKILLed at every stage boundary (MEMORY_CRON_TEST_KILL_AT, see
// src/kill-point.ts), from the webhook while a POST is in flight, and at random instants over two nights; after
// each kill the state must be consistent, and after the last (unkilled) run every chat must have arrived once.
import { strict as assert } from 'node:assert';
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { killPoints } from '../src/kill-point.js';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats, prng } from './fixtures/chat-generator.ts';
import { numericId, type RawChat } from './fixtures/raw-chat.ts';
import { referenceConversations } from './fixtures/reference-conversations.ts';
import { startWebhookReceiver, type Receiver, type Reply } from './fixtures/webhook-receiver.ts';
import { faultCliEnv, secret } from './helpers/cli-env.js';
import { assertDeliveredExactly, baselineNight, assertStateConsistent, hour, outcome, snapshotState, type StateSnapshot } from './helpers/guarantees.ts';
import { runCli, startCli, summaryOf, type CliRun } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const t1 = Date.parse('2026-11-23T09:00:00Z');
const t2 = t1 + 24 * hour;
const nowOf = { 1: t1, 2: t2 } as const;
const realNowMs = Date.now();

// Two nights of chats (some hidden, some malformed); night one sees exactly those created by t1.
const all = generateChats({ count: 400, seed: 5, start: new Date(t1 - 3 * 24 * hour), end: new Date(t2), hiddenRate: 0.03, badRate: 0.01, realNowMs });
const createdMs = (chat: RawChat) => Date.parse(String(chat['createdAt']));
const lastOfNightOne = Math.max(...all.filter((chat) => createdMs(chat) <= t1).map((chat) => numericId(chat) ?? 0));
// Rows without a believable date (unreadable, or days ahead of the real clock) go with the night their id belongs to.
const believable = (chat: RawChat) => createdMs(chat) <= realNowMs + 24 * hour;
const onNightOne = (chat: RawChat) => (believable(chat) ? createdMs(chat) <= t1 : (numericId(chat) ?? 0) <= lastOfNightOne);
const nightOne = all.filter(onNightOne);
const nightTwo = all.filter((chat) => !onNightOne(chat));
const chatsBy = { 1: nightOne, 2: all } as const;

interface Night {
  readonly standIn: StandIn;
  readonly receiver: Receiver;
  readonly stateDir: string;
}

// The figures the Guarantees table reports.
const atPoints = { tried: 0, resent: 0, lost: 0, underTwoKeys: 0 };
const atRandom = { kills: 0, runs: 0, resent: 0, lost: 0, underTwoKeys: 0 };
const sigterm = { stops: 0, lost: 0, underTwoKeys: 0 };

describe('kill -9 at every stage boundary', () => {
  let baselineDir: string;
  let baselineSent: number[][];

  before(async () => {
    // Night one, run cleanly once: the starting point of every night-two kill.
    ({ dir: baselineDir, sent: baselineSent } = await baselineNight(nightOne, t1));
  });

  after(async () => {
    await rm(baselineDir, { recursive: true, force: true });
    console.log(`guarantees: kill points tried ${atPoints.tried} (${killPoints.length} boundaries, some at a later pass, and a kill while a POST is in flight, on both nights), resent with the same key ${atPoints.resent}, chats lost ${atPoints.lost}, chats under two keys ${atPoints.underTwoKeys}`);
  });

  // A night on a fresh receiver; night two starts from the baseline night one left.
  async function startNight(night: 1 | 2, respond?: (attempt: number) => Reply): Promise<Night> {
    const standIn = await startStandIn({ chats: [...nightOne] });
    if (night === 2) standIn.add(...nightTwo);
    const receiver = await startWebhookReceiver({ secret, ...(respond === undefined ? {} : { respond: (_: unknown, attempt: number) => respond(attempt) }) });
    const stateDir = await tempDir();
    if (night === 2) await cp(baselineDir, stateDir, { recursive: true });
    return { standIn, receiver, stateDir };
  }

  // What a kill at `point` must have left: proof that the kill landed where its name says.
  function assertKilledAt(point: string, before: StateSnapshot, killed: StateSnapshot, receiver: Receiver, night: 1 | 2): void {
    const name = point.split(':')[0];
    const cursorMoved = killed.cursor?.id !== before.cursor?.id;
    if (['page-read', 'page-staged', 'paged'].includes(name ?? '')) {
      assert.ok(!cursorMoved, `${point}: the cursor has not moved`);
      assert.equal(receiver.deliveries.length, 0, `${point}: nothing was posted`);
    }
    if (name === 'paged') assertStateConsistent(killed, chatsBy[night], `${point}: every page is staged`);
    if (name === 'cursor-written') {
      assert.ok(cursorMoved, `${point}: the cursor has moved`);
      assert.equal(receiver.deliveries.length, 0, `${point}: nothing was posted`);
    }
    if (name === 'frozen') assert.ok(killed.outbox.some((entry) => entry.status === 'pending' && !receiver.accepted.has(entry.conversation.id)), `${point}: a frozen conversation waits, not yet posted`);
    if (name === 'posted' || name === 'mid-delivery') {
      assert.ok(killed.outbox.some((entry) => receiver.accepted.has(entry.conversation.id)), `${point}: an accepted conversation is still in the outbox`);
    }
    if (name === 'marked-sent') assert.ok(killed.sent.size > (before.sent.size), `${point}: a conversation is marked sent`);
  }

  // Conversations are frozen 16 to a batch: 'frozen:2' is the second batch.
  const points = [
    'page-read:1', 'page-read:4', 'page-staged:1', 'page-staged:4', 'paged', 'cursor-written',
    'frozen:1', 'frozen:2', 'posted:1', 'posted:10', 'marked-sent:10', 'mid-delivery',
  ];
  for (const night of [1, 2] as const) {
    for (const point of points) {
      it(`night ${night}: a kill at ${point} leaves consistent state, and the next run sends everything once`, async (t) => {
        let run: CliRun | undefined;
        let posts = 0;
        // 'mid-delivery': the webhook stores the 3rd POST, then the job dies before it reads the answer.
        const killOnThirdPost = (attempt: number): Reply => {
          if (attempt === 1 && ++posts === 3) run?.child.kill('SIGKILL');
          return { status: 200 };
        };
        const respond = point === 'mid-delivery' ? killOnThirdPost : undefined;
        const { standIn, receiver, stateDir } = await startNight(night, respond);
        try {
          const now = new Date(nowOf[night]).toISOString();
          const env = faultCliEnv(standIn, receiver, stateDir);
          const before = await snapshotState(stateDir);
          run = startCli(['--now', now], point === 'mid-delivery' ? env : { ...env, MEMORY_CRON_TEST_KILL_AT: point });
          const killed = await run.done;
          assert.equal(killed.signal, 'SIGKILL', `the kill point ${point} was reached: ${outcome(killed)}`);
          const state = await snapshotState(stateDir);
          assert.ok((state.cursor?.id ?? -1) >= (before.cursor?.id ?? -1), 'the cursor never moves back');
          assertStateConsistent(state, state.cursor?.id === before.cursor?.id ? nightOne : chatsBy[night], point);
          assertKilledAt(point, before, state, receiver, night);

          const next = await runCli(['--now', now], env);
          assert.equal(next.code, 0, outcome(next));
          const final = await snapshotState(stateDir);
          assertStateConsistent(final, chatsBy[night], 'after the next run');
          const delivered = assertDeliveredExactly(receiver, chatsBy[night], nowOf[night], final, { realNowMs, sentBefore: night === 2 ? baselineSent : [], tally: atPoints });
          if (['posted', 'mid-delivery'].includes(point.split(':')[0] ?? '')) assert.ok(delivered.repeats > 0, 'the conversation in flight is resent, with the same key');
          atPoints.tried++;
          atPoints.resent += delivered.repeats;
          t.diagnostic(`${point}: ${delivered.accepted} conversations accepted, ${delivered.repeats} resent with the same key`);
        } finally {
          await Promise.all([standIn.close(), receiver.close()]);
        }
      });
    }
  }
});

describe('kill -9 at random instants', () => {
  after(() => {
    console.log(`guarantees: random kills survived ${atRandom.kills} (in ${atRandom.runs} runs over 2 nights), resent with the same key ${atRandom.resent}, chats lost ${atRandom.lost}, chats under two keys ${atRandom.underTwoKeys}`);
  });

  it('30 kills over two nights, landing while paging, staging and delivering, lose nothing and send nothing twice', async (t) => {
    const seed = Number(process.env['CRASH_SEED'] ?? 20_261_124);
    const random = prng(seed);
    const pick = (from: number, to: number) => from + Math.floor(random() * (to - from + 1));
    const killsPerNight = 15;
    let run: CliRun | undefined;
    let served = 0;
    let posted = 0;
    let trigger: { on: 'page' | 'post' | 'time'; at: number } | undefined;
    const fire = (count: number, on: 'page' | 'post') => {
      if (trigger?.on !== on || count !== trigger.at) return;
      const child = run?.child;
      setTimeout(() => child?.kill('SIGKILL'), pick(0, 6)); // a few ms later: wherever the job then is
    };
    const standIn = await startStandIn({ chats: [...nightOne], pageLatencyMs: 2 });
    standIn.onPage = () => fire(++served, 'page');
    const receiver = await startWebhookReceiver({ secret, respond: () => (fire(++posted, 'post'), { status: 200, delayMs: pick(0, 3) }) });
    const stateDir = await tempDir();
    const landed = { paging: 0, delivering: 0, starting: 0 };
    try {
      let cursor = -1;
      for (const night of [1, 2] as const) {
        if (night === 2) standIn.add(...nightTwo);
        const now = new Date(nowOf[night]).toISOString();
        // The pages a run reads until this night's cursor is written: all of them, or the new ones and the overlap.
        const pages = night === 1 ? Math.ceil(nightOne.length / 20) : Math.ceil(nightTwo.length / 20) + 1;
        const closed = referenceConversations(standIn.chats, { gapMs: hour, nowMs: nowOf[night], realNowMs }).filter((c) => c.closed).length;
        const nightStartCursor = cursor;
        let kills = 0;
        for (let attempt = 0; kills < killsPerNight && attempt < 3 * killsPerNight; attempt++) {
          served = 0;
          posted = 0;
          // Until this night's cursor is written every run pages from the top: kill there at most 5 times per night,
          // then mostly while delivering, one to three conversations in, and now and then at a plain random instant.
          const left = closed - receiver.accepted.size;
          const r = random();
          trigger = cursor === nightStartCursor && kills < 5 && r < 0.7 ? { on: 'page', at: pick(1, pages) } : left > 0 && r < 0.85 ? { on: 'post', at: pick(1, Math.min(3, left)) } : { on: 'time', at: pick(50, 450) };
          run = startCli(['--now', now], faultCliEnv(standIn, receiver, stateDir));
          const timer = trigger.on === 'time' ? setTimeout((child: CliRun['child']) => child.kill('SIGKILL'), trigger.at, run.child) : undefined;
          const result = await run.done;
          clearTimeout(timer);
          atRandom.runs++;
          if (result.signal !== 'SIGKILL') {
            assert.equal(result.code, 0, outcome(result));
            continue;
          }
          kills++;
          atRandom.kills++;
          landed[posted > 0 ? 'delivering' : served > 0 ? 'paging' : 'starting']++;
          const state = await snapshotState(stateDir);
          assert.ok((state.cursor?.id ?? -1) >= cursor, `the cursor never moves back (kill ${atRandom.kills})`);
          assertStateConsistent(state, state.cursor?.id === nightStartCursor ? nightOne : standIn.chats, `kill ${atRandom.kills}`);
          cursor = state.cursor?.id ?? -1;
        }
        trigger = undefined;
        const last = await runCli(['--now', now], faultCliEnv(standIn, receiver, stateDir));
        assert.equal(last.code, 0, outcome(last));
        const state = await snapshotState(stateDir);
        assertStateConsistent(state, standIn.chats, `end of night ${night}`);
        assert.ok((state.cursor?.id ?? -1) >= cursor, 'the cursor never moves back');
        cursor = state.cursor?.id ?? -1;
      }
      assert.equal(atRandom.kills, 2 * killsPerNight, 'every planned kill landed');
      const final = await snapshotState(stateDir);
      const delivered = assertDeliveredExactly(receiver, all, t2, final, { realNowMs, tally: atRandom });
      atRandom.resent += delivered.repeats;
      t.diagnostic(`seed ${seed}: ${atRandom.kills} kills in ${atRandom.runs} runs (${landed.paging} while paging, ${landed.delivering} while delivering, ${landed.starting} before the first page), ${delivered.accepted} conversations accepted, ${delivered.repeats} resent with the same key`);
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });
});

describe('SIGTERM', () => {
  after(() => console.log(`guarantees: SIGTERM stops ${sigterm.stops} (exit 143, then a clean run), chats lost ${sigterm.lost}, chats under two keys ${sigterm.underTwoKeys}`));

  for (const phase of ['paging', 'delivering'] as const) {
    it(`stops a run while ${phase} with exit 143 and consistent state, and the next run finishes the work`, async () => {
      let run: CliRun | undefined;
      let posts = 0;
      const standIn = await startStandIn({ chats: [...nightOne], pageLatencyMs: phase === 'paging' ? 20 : 0 });
      const receiver = await startWebhookReceiver({ secret, respond: () => (++posts === 3 && phase === 'delivering' ? run?.child.kill('SIGTERM') : undefined, { status: 200, delayMs: 20 }) });
      if (phase === 'paging') standIn.onPage = (offset) => void (offset === 3 && run?.child.kill('SIGTERM'));
      const stateDir = await tempDir();
      try {
        const now = new Date(t1).toISOString();
        run = startCli(['--now', now], faultCliEnv(standIn, receiver, stateDir));
        const stopped = await run.done;
        assert.equal(stopped.code, 143, outcome(stopped));
        assert.ok(stopped.lines.some((line) => line['code'] === 'MC_ABORTED' && /SIGTERM/.test(line['msg'])), 'the run says it was stopped by SIGTERM');
        const state = await snapshotState(stateDir);
        assertStateConsistent(state, nightOne, 'after SIGTERM');
        if (phase === 'paging') assert.equal(state.cursor, undefined, 'the cursor has not moved');
        const next = await runCli(['--now', now], faultCliEnv(standIn, receiver, stateDir));
        assert.equal(next.code, 0, outcome(next));
        assertDeliveredExactly(receiver, nightOne, t1, await snapshotState(stateDir), { realNowMs, tally: sigterm });
        sigterm.stops++;
      } finally {
        await Promise.all([standIn.close(), receiver.close()]);
      }
    });
  }

  it('arriving after delivery (the last conversation marked sent) still exits 143, says the work was done, and the next run sends nothing', async () => {
    // The n-th pass of `marked-sent` is the last conversation's: the job sends itself SIGTERM there, which its handler
    // sees on the event loop's next turn, while the night writes its summary. No timing is involved.
    const closed = referenceConversations(nightOne, { gapMs: hour, nowMs: t1, realNowMs }).filter((c) => c.closed).length;
    const standIn = await startStandIn({ chats: [...nightOne] });
    const receiver = await startWebhookReceiver({ secret });
    const stateDir = await tempDir();
    try {
      const now = new Date(t1).toISOString();
      const stopped = await runCli(['--now', now], faultCliEnv(standIn, receiver, stateDir, { MEMORY_CRON_TEST_KILL_AT: `marked-sent:${closed}:SIGTERM` }));
      assert.equal(stopped.code, 143, outcome(stopped));
      const summary = summaryOf(stopped);
      assert.equal(summary?.['conversations']['sent'], closed, 'the summary was written: every closed conversation sent');
      const stop = stopped.lines.find((line) => line['code'] === 'MC_ABORTED');
      assert.equal(stop?.['signal'], 'SIGTERM');
      assert.equal(stop?.['afterDelivery'], true);
      assert.match(String(stop?.['msg']), /^stopped by SIGTERM after delivery had finished: every closed conversation was delivered, the summary is written and state is consistent/);
      assert.equal(receiver.deliveries.length, closed, 'each conversation was POSTed once');
      const state = await snapshotState(stateDir);
      assertStateConsistent(state, nightOne, 'after SIGTERM after delivery');
      assertDeliveredExactly(receiver, nightOne, t1, state, { realNowMs, tally: sigterm });
      const status = JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')) as { running: boolean; lastRun: { exitCode: number; error: { code: string } | null; summary: unknown } };
      assert.deepEqual([status.running, status.lastRun.exitCode, status.lastRun.error?.code, status.lastRun.summary !== null], [false, 143, 'MC_ABORTED', true], 'status.json’s last run ends as the process did');

      const next = await runCli(['--now', now], faultCliEnv(standIn, receiver, stateDir));
      assert.equal(next.code, 0, outcome(next));
      assert.equal(summaryOf(next)?.['conversations']['sent'], 0);
      assert.equal(receiver.deliveries.length, closed, 'the next run sent nothing again');
      sigterm.stops++;
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });
});
