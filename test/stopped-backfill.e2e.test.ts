// DESIGN §5, docs/operations.md "First install": a first `--backfill DATE` stopped before its paging reached DATE (at its
// deadline, by a kill) has stored neither a cursor nor DATE as the floor, only where its paging got to. The timer's
// next run, without `--backfill`, carries that backfill on: it resumes the same paging, takes in only the chats
// created since DATE and stores DATE as the floor, instead of taking in all history. An explicit `--backfill` of
// another date wins.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseBackfillDate } from '../src/config/backfill-date.js';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { numericId, type RawChat } from './fixtures/raw-chat.ts';
import { referenceConversations } from './fixtures/reference-conversations.ts';
import { startWebhookReceiver, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, chatKey, cliEnv, createdMs, dayIn } from './helpers/cli-env.js';
import { outcome } from './helpers/guarantees.ts';
import { runCli, summaryOf, type CliResult } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
const day = 24 * hour;
// A fixed instant in the real past (no chat is "more than a day in the future"), so the runs are the same whenever.
const end = Date.parse('2026-11-20T15:00:00Z');
const day1 = dayIn(end - 10 * day);
const day0 = dayIn(end - 20 * day);
const d1 = parseBackfillDate(day1, 'America/Chicago').getTime();
const d0 = parseBackfillDate(day0, 'America/Chicago').getTime();
// 30 days, 45 pages; about 15 of them since DAY1.
const history = generateChats({ count: 900, seed: 71, start: new Date(end - 30 * day), end: new Date(end), badRate: 0, realNowMs: end });
// Written between the stopped run and the next: new pages on top of what the stopped run read.
const fresh = generateChats({ count: 40, seed: 72, start: new Date(end + hour), end: new Date(end + 3 * hour), firstId: 901, badRate: 0, realNowMs: end });
const all = [...history, ...fresh];
const runAt = ['--now', new Date(end + 6 * hour).toISOString()]; // every conversation closed
const since = (from: number) => all.filter((chat) => createdMs(chat) >= from);

// The conversations the oracle forms among `chats`, as chat-id keys: a conversation straddling DATE is cut there.
function expectedConversations(chats: readonly RawChat[]): string[] {
  return referenceConversations(chats, { gapMs: hour, nowMs: end + 6 * hour }).map((c) => chatKey(c.chatIds)).sort();
}

const accepted = (receiver: Receiver) => receiver.deliveries.filter((d) => d.status >= 200 && d.status < 300);
const keysOf = (receiver: Receiver) => accepted(receiver).map((d) => chatKey(chatIdsOf(d.body))).sort();
const said = (result: CliResult, text: RegExp) => result.lines.some((line) => text.test(String(line['msg'])));

/** How the first `--backfill DAY1` run is stopped mid-paging: deterministically, not by timing. */
const stops: Record<string, (standIn: StandIn, env: Record<string, string>) => Promise<void>> = {
  'killed (kill -9) once its third page is staged': async (_standIn, env) => {
    const stopped = await runCli(['run', '--backfill', day1, ...runAt], { ...env, MEMORY_CRON_TEST_KILL_AT: 'page-staged:3' });
    assert.equal(stopped.signal, 'SIGKILL', `the kill point was reached: ${outcome(stopped)}`);
  },
  'stopped at its deadline while the source holds page 4': async (standIn, env) => {
    // Pages 0–3 are answered; the run cannot read on until the deadline stops it (exit 8, checkpointed).
    const pause = standIn.pause(4);
    try {
      const stopped = await runCli(['run', '--backfill', day1, ...runAt], { ...env, RUN_DEADLINE: '4s' });
      assert.equal(stopped.code, 8, outcome(stopped));
      assert.match(stopped.stdout, /MC_DEADLINE/);
    } finally {
      pause.release();
    }
  },
};

describe('a first --backfill stopped before its paging reached DATE', () => {
  const closing: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closing) await close();
  });

  async function stoppedFirstBackfill(stop: (standIn: StandIn, env: Record<string, string>) => Promise<void>): Promise<{ standIn: StandIn; receiver: Receiver; env: Record<string, string> }> {
    const standIn = await startStandIn({ chats: [...history] });
    const receiver = await startWebhookReceiver();
    closing.push(() => standIn.close(), () => receiver.close());
    const env = cliEnv(standIn, receiver, await tempDir());
    await stop(standIn, env);
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as Record<string, unknown>;
    assert.deepEqual([status['cursor'], status['floor']], [null, null], 'the stopped run stored neither a cursor nor a floor');
    assert.equal(accepted(receiver).length, 0, 'nothing was delivered: the run stopped while paging');
    standIn.add(...fresh);
    return { standIn, receiver, env };
  }

  for (const [how, stop] of Object.entries(stops)) {
    it(`${how}: the next run without --backfill carries it on, sends every chat since DATE and none before, and stores DATE as the floor`, async () => {
      const { standIn, receiver, env } = await stoppedFirstBackfill(stop);
      const next = await runCli(['run', ...runAt], env);
      assert.equal(next.code, 0, outcome(next));
      assert.ok(said(next, /carrying on the first --backfill/), 'the run says it carries on the stopped backfill');
      assert.ok(said(next, /resuming paging where an earlier run stopped/), 'and resumes its paging');
      assert.ok(accepted(receiver).every((d) => d.body.messages.every((m: { createdAt: string }) => Date.parse(m.createdAt) >= d1)), 'no chat created before DATE was delivered');
      assert.deepEqual(keysOf(receiver), expectedConversations(since(d1)), 'every conversation among the chats since DATE was delivered, once');
      assert.equal(summaryOf(next)?.['floor'], new Date(d1).toISOString(), 'the floor is DATE');
      const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as Record<string, any>;
      assert.equal(status['floor'], new Date(d1).toISOString(), 'and is stored');
      assert.equal(status['cursor']?.['id'], Math.max(...all.map((chat) => numericId(chat)!)));
      const pages = standIn.requests.filter((r) => r.status === 200).length;
      assert.ok(pages < 30, `paging stopped soon after DATE, not at the end of 47 pages of history (${pages} pages over both runs)`);
      // A later night leaves the older chats alone, as after a backfill that finished in one run.
      const later = await runCli(['run', ...runAt], env);
      assert.equal(later.code, 0, outcome(later));
      assert.equal(summaryOf(later)?.['conversations']['sent'], 0, 'nothing more to send');
      assert.equal(summaryOf(later)?.['floor'], new Date(d1).toISOString());
    });
  }

  it('refused by the source before its first page (a wrong API key, exit 4): the next run without --backfill still takes in only the chats since DATE', async () => {
    const standIn = await startStandIn({ chats: [...all] });
    const receiver = await startWebhookReceiver();
    closing.push(() => standIn.close(), () => receiver.close());
    const env = cliEnv(standIn, receiver, await tempDir());
    const refused = await runCli(['run', '--backfill', day1, ...runAt], { ...env, API_KEY: 'not-the-key' });
    assert.equal(refused.code, 4, outcome(refused));
    const next = await runCli(['run', ...runAt], env);
    assert.equal(next.code, 0, outcome(next));
    assert.ok(said(next, /carrying on the first --backfill/), 'the run says it carries on the refused backfill');
    assert.ok(accepted(receiver).every((d) => d.body.messages.every((m: { createdAt: string }) => Date.parse(m.createdAt) >= d1)), 'no chat created before DATE was delivered');
    assert.deepEqual(keysOf(receiver), expectedConversations(since(d1)), 'every conversation since DATE was delivered, once');
    assert.equal(summaryOf(next)?.['floor'], new Date(d1).toISOString(), 'and DATE is the floor');
  });

  it('an explicit --backfill of an earlier date wins: that date is taken in, from page 0, and becomes the floor', async () => {
    const { receiver, env } = await stoppedFirstBackfill(stops['killed (kill -9) once its third page is staged']!);
    const next = await runCli(['run', '--backfill', day0, ...runAt], env);
    assert.equal(next.code, 0, outcome(next));
    assert.ok(!said(next, /carrying on the first --backfill/) && !said(next, /resuming paging/), 'the stopped paging is not carried on');
    assert.ok(accepted(receiver).every((d) => d.body.messages.every((m: { createdAt: string }) => Date.parse(m.createdAt) >= d0)), 'no chat created before the new date was delivered');
    assert.deepEqual(keysOf(receiver), expectedConversations(since(d0)), 'every conversation since the new date was delivered, once');
    assert.equal(summaryOf(next)?.['floor'], new Date(d0).toISOString());
  });

  it('an explicit --backfill of a later date wins for the floor, and says the chats the stopped run staged before it are sent', async () => {
    // Kill -9 once the eighth page is staged: 160 chats, some created before the later date.
    const d2 = end - 2 * day;
    const { receiver, env } = await stoppedFirstBackfill(async (_standIn, env) => {
      const stopped = await runCli(['run', '--backfill', day1, ...runAt], { ...env, MEMORY_CRON_TEST_KILL_AT: 'page-staged:8' });
      assert.equal(stopped.signal, 'SIGKILL', `the kill point was reached: ${outcome(stopped)}`);
    });
    const next = await runCli(['run', '--backfill', new Date(d2).toISOString(), ...runAt], env);
    assert.equal(next.code, 0, outcome(next));
    assert.ok(next.lines.some((line) => line['level'] === 40 && /stopped a first --backfill from .* the chats it staged from before .* are sent all the same/.test(line['msg'])), outcome(next));
    assert.equal(summaryOf(next)?.['floor'], new Date(d2).toISOString());
    const sentMs = accepted(receiver).flatMap((d) => d.body.messages.map((m: { createdAt: string }) => Date.parse(m.createdAt)));
    assert.ok(sentMs.some((ms) => ms < d2), 'chats the stopped run staged before the later date were sent');
    assert.ok(sentMs.every((ms) => ms >= d1), 'none from before the stopped run\'s own date');
  });
});
