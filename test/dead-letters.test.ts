import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { slimRecord } from '../src/source/response-parts.js';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { classifyGenerated, generateChats } from './fixtures/chat-generator.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { cliEnv } from './helpers/cli-env.js';
import { runCli, startHoldingRun, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
const day = 24 * hour;
const end = Math.floor(Date.now() / hour) * hour - 2 * day;
const now = new Date(end + 2 * hour).toISOString();

describe('memory-cron dead-letters', () => {
  it('lists dead and parked conversations with their error, and `retry` sends them all now, parked ones included', async () => {
    const chats = generateChats({ count: 500, seed: 41, start: new Date(end - 4 * day), end: new Date(end), realNowMs: Date.now() });
    let healthy = false;
    const receiver = await startWebhookReceiver({
      respond: (delivery) => {
        const first = delivery.body.messages[0].chatId as number;
        if (healthy || first % 7 > 1) return { status: 200 };
        return first % 7 === 0 ? { status: 422, body: 'unprocessable: messages too long' } : { status: 503 };
      },
    });
    const standIn = await startStandIn({ chats });
    try {
      const stateDir = await tempDir();
      const env = cliEnv(standIn, receiver, stateDir, { RETRIES: '1' });
      const run = await runCli(['run', '--now', now], env);
      assert.equal(run.code, 6);
      const { dead, parked } = summaryOf(run)?.['conversations'];
      assert.ok(dead > 0 && parked > 0);

      const listed = await runCli(['dead-letters', '--json'], { STATE_DIR: stateDir });
      assert.equal(listed.code, 0, listed.stderr);
      const letters = JSON.parse(listed.stdout) as { count: number; deadLetters: Record<string, any>[] };
      assert.equal(letters.count, dead + parked);
      const failed = new Map(receiver.deliveries.filter((d) => d.status >= 400).map((d) => [d.body.id, d.body]));
      for (const letter of letters.deadLetters) {
        const body = failed.get(letter['conversation']);
        assert.ok(body, `${letter['conversation']} was refused`);
        assert.deepEqual([letter['workspace'], letter['threadId'], letter['attempts']], [body.workspace, body.threadId, 1]);
        assert.ok(!Number.isNaN(Date.parse(letter['failedAt'])));
        if (letter['status'] === 'parked') assert.equal(letter['lastError'], 'HTTP 422: unprocessable: messages too long');
        else assert.equal(letter['status'], 'dead'), assert.match(letter['lastError'], /^HTTP 503/);
      }
      assert.deepEqual(letters.deadLetters.filter((l) => l['status'] === 'parked').length, parked);

      const table = await runCli(['dead-letters'], { STATE_DIR: stateDir });
      assert.match(table.stdout, new RegExp(`^${dead + parked} dead letters in .* \\(${dead} dead: retried by the next run; ${parked} parked`));
      assert.match(table.stdout, /^CONVERSATION +WORKSPACE +CHAT HISTORY +STATUS +ATTEMPTS +FAILED AT +LAST ERROR$/m);
      assert.match(table.stdout, /^conv_\S+ +.+ \(\d+\) +(default( · .+)?|thread \d+) +parked +1 +\d{4}-.+ +HTTP 422: unprocessable/m);

      healthy = true;
      receiver.deliveries.length = 0;
      const retried = await runCli(['dead-letters', 'retry'], env);
      assert.equal(retried.code, 0, retried.stdout);
      assert.deepEqual(receiver.deliveries.map((d) => d.body.id).sort(), [...failed.keys()].sort(), 'exactly the dead and parked ones, once each');
      assert.ok(receiver.deliveries.every((d) => d.idempotencyKey === d.body.id), 'with the same Idempotency-Key as before');
      const after = JSON.parse((await runCli(['dead-letters', '--json'], { STATE_DIR: stateDir })).stdout) as { count: number };
      assert.equal(after.count, 0);
      const status = JSON.parse((await runCli(['status', '--json'], { STATE_DIR: stateDir })).stdout) as Record<string, any>;
      assert.deepEqual([status['counts']['deadLetters'], status['counts']['parked']], [0, 0], 'status.json counts the retry');
      const next = await runCli(['run', '--now', now], env);
      assert.equal(summaryOf(next)?.['conversations']['sent'], 0, 'nothing is sent twice');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('a retry that fails again keeps them and exits 6', async () => {
    const chats = generateChats({ count: 100, seed: 42, start: new Date(end - day), end: new Date(end), realNowMs: Date.now() });
    const receiver = await startWebhookReceiver({ respond: () => ({ status: 503 }) });
    const standIn = await startStandIn({ chats });
    try {
      const stateDir = await tempDir();
      const env = cliEnv(standIn, receiver, stateDir, { RETRIES: '0' });
      assert.equal((await runCli(['run', '--now', now], env)).code, 6);
      const before = JSON.parse((await runCli(['dead-letters', '--json'], { STATE_DIR: stateDir })).stdout) as { count: number; deadLetters: { conversation: string; attempts: number }[] };
      const retried = await runCli(['dead-letters', 'retry'], env);
      assert.equal(retried.code, 6);
      const after = JSON.parse((await runCli(['dead-letters', '--json'], { STATE_DIR: stateDir })).stdout) as { count: number; deadLetters: { conversation: string; attempts: number }[] };
      // Conversations frozen but never tried (the webhook was taken to be down) join the dead letters on the retry.
      const afterById = new Map(after.deadLetters.map((l) => [l.conversation, l]));
      assert.ok(before.deadLetters.length > 0 && before.deadLetters.every((l) => afterById.has(l.conversation)), 'each dead letter is kept');
      // The retry, too, stops after ten failures in a row (the webhook is taken to be down; those in flight finish).
      // Each one it tried counts one more attempt: a dead letter its second, one frozen but never tried its first.
      const beforeById = new Map(before.deadLetters.map((l) => [l.conversation, l]));
      const tried = after.deadLetters.filter((l) => l.attempts === (beforeById.get(l.conversation)?.attempts ?? 0) + 1);
      assert.ok(tried.length >= 10, `each one tried again counts one more attempt (${tried.length} tried)`);
      assert.ok(after.deadLetters.every((l) => l.attempts - (beforeById.get(l.conversation)?.attempts ?? 0) <= 1), 'none is tried twice in one retry');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('on a STATE_DIR where nothing has run says so and creates nothing', async () => {
    const stateDir = join(await tempDir(), 'state');
    const listed = await runCli(['dead-letters'], { STATE_DIR: stateDir });
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /^nothing has run in .*state yet/);
    const quarantine = await runCli(['quarantine', '--json'], { STATE_DIR: stateDir });
    assert.deepEqual(JSON.parse(quarantine.stdout), { stateDir, ranBefore: false, count: 0, records: [] });
    assert.equal(existsSync(stateDir), false);
  });
});

describe('memory-cron quarantine', () => {
  it('lists each bad record once with its reason and the raw record, its attachments and sources slimmed (DESIGN §3)', async () => {
    const chats = generateChats({ count: 400, seed: 43, start: new Date(end - 2 * day), end: new Date(end), badRate: 0.03, realNowMs: Date.now() });
    const bad = chats.filter((chat) => classifyGenerated(chat) === 'bad');
    assert.ok(bad.length > 3);
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    try {
      const stateDir = await tempDir();
      assert.equal((await runCli(['run', '--now', now], cliEnv(standIn, receiver, stateDir))).code, 0);
      const listed = await runCli(['quarantine', '--json'], { STATE_DIR: stateDir });
      assert.equal(listed.code, 0, listed.stderr);
      const result = JSON.parse(listed.stdout) as { count: number; records: { id: number | null; reason: string; raw: unknown; at: string }[] };
      assert.equal(result.count, bad.length);
      // As served, except that a file keeps its size, not its content, and a source its title and address, not its text.
      assert.deepEqual(result.records.map((r) => JSON.stringify(r.raw)).sort(), bad.map((chat) => JSON.stringify(slimRecord(chat))).sort());
      assert.ok(bad.some((chat) => JSON.stringify(slimRecord(chat)) !== JSON.stringify(chat)), 'some bad record had sources to slim');
      assert.ok(result.records.every((r) => r.reason.length > 0));
      const table = await runCli(['quarantine'], { STATE_DIR: stateDir });
      assert.match(table.stdout, new RegExp(`^${bad.length} quarantined records in `));
      assert.match(table.stdout, /^CHAT +QUARANTINED AT +REASON +RAW RECORD$/m);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});

describe('operator commands while a run holds STATE_DIR', () => {
  it('dead-letters and quarantine exit 3 naming the holder, as a second run does', async () => {
    const chats = generateChats({ count: 400, seed: 44, start: new Date(end - 3 * day), end: new Date(end), realNowMs: Date.now() });
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    try {
      const stateDir = await tempDir();
      const running = await startHoldingRun(cliEnv(standIn, receiver, stateDir), standIn);
      for (const args of [['dead-letters'], ['dead-letters', 'retry'], ['quarantine', '--json']]) {
        const result = await runCli(args, { STATE_DIR: stateDir, WEBHOOK_URL: receiver.url });
        assert.equal(result.code, 3, args.join(' '));
        assert.match(result.stdout + result.stderr, new RegExp(`another memory-cron run holds .* \\(pid ${running.child.pid}, \`memory-cron run\`, since \\d{4}-`), args.join(' '));
      }
      running.release();
      assert.equal((await running.done).code, 0);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});
