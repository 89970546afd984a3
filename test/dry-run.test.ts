import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { State } from '../src/store/state.js';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { referenceConversations } from './fixtures/reference-conversations.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, chatKey, cliEnv, createdMs, hashTree } from './helpers/cli-env.js';
import { deadPid, holdLock } from './helpers/lock-holder.js';
import { runCli, startHoldingRun, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
const day = 24 * hour;
const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
const parseNdjson = (text: string) => text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { id: string; messages: { chatId: number }[] });

describe('--dry-run', () => {
  it('prints exactly the conversations the real run then sends, and leaves STATE_DIR byte-for-byte unchanged', async () => {
    const end = Math.floor(Date.now() / hour) * hour - 2 * day;
    const all = generateChats({ count: 1200, seed: 5, start: new Date(end - 6 * day), end: new Date(end), hiddenRate: 0.02, badRate: 0.01, realNowMs: Date.now() });
    const t1 = end - 2 * day;
    const standIn = await startStandIn({ chats: all.filter((chat) => createdMs(chat) <= t1) });
    let failing = true; // night one only: some conversations end as dead letters
    const receiver = await startWebhookReceiver({ respond: (delivery) => (failing && delivery.body.messages[0].chatId % 11 === 0 ? { status: 503 } : { status: 200 }) });
    try {
      const stateDir = await tempDir();
      const env = cliEnv(standIn, receiver, stateDir, { RETRIES: '0' });
      const night1 = await runCli(['run', '--now', new Date(t1).toISOString()], env);
      assert.equal(night1.code, 6, 'night one leaves dead letters, which a dry run shows too');
      standIn.add(...all.filter((chat) => createdMs(chat) > t1));
      failing = false;
      receiver.deliveries.length = 0;

      const before = await hashTree(stateDir);
      const dry = await runCli(['run', '--dry-run', '--now', new Date(end + 10 * 60_000).toISOString()], { ...env, WEBHOOK_URL: undefined });
      assert.equal(dry.code, 0, dry.stderr);
      assert.deepEqual(await hashTree(stateDir), before, 'every file in STATE_DIR is as it was');
      assert.equal(receiver.deliveries.length, 0, 'nothing was posted');
      const printed = parseNdjson(dry.stdout).sort(byId);
      assert.ok(printed.length > 10);
      assert.match(dry.stderr, /"msg":"run finished: .* conversations printed \(dry run: nothing posted/, 'logs go to stderr');
      const drySummary = dry.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, any>).find((line) => line['summary'] !== undefined)?.['summary'];
      assert.equal(drySummary?.['dryRun'], true, 'the summary says, machine-readably, that nothing was posted');
      assert.equal(drySummary?.['conversations']['sent'], printed.length);

      const real = await runCli(['run', '--now', new Date(end + 10 * 60_000).toISOString()], { ...env, WEBHOOK_URL: receiver.url });
      assert.equal(real.code, 0, real.stdout);
      const posted = receiver.deliveries.map((d) => d.body).sort(byId);
      assert.deepEqual(printed, posted);
      assert.ok(summaryOf(real)?.['conversations']['resent'] > 0, 'the dead letters of night one are among them');
      assert.equal(summaryOf(real)?.['dryRun'], false);
      const status = JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')) as Record<string, any>;
      assert.equal(status['lastRun']['summary']['dryRun'], false, 'status.json keeps it too');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('on a STATE_DIR that does not exist yet it previews a first install and creates nothing', async () => {
    const end = Math.floor(Date.now() / hour) * hour - 2 * day;
    const chats = generateChats({ count: 300, seed: 8, start: new Date(end - 3 * day), end: new Date(end), realNowMs: Date.now() });
    const standIn = await startStandIn({ chats });
    try {
      const stateDir = join(await tempDir(), 'never-created');
      const dry = await runCli(['run', '--dry-run', '--now', new Date(end + 2 * hour).toISOString()], cliEnv(standIn, undefined, stateDir));
      assert.equal(dry.code, 0, dry.stderr);
      const expected = referenceConversations(chats, { gapMs: hour, nowMs: end + 2 * hour }).filter((c) => c.closed).map((c) => chatKey(c.chatIds)).sort();
      assert.deepEqual(parseNdjson(dry.stdout).map((c) => chatKey(chatIdsOf(c))).sort(), expected);
      assert.equal(existsSync(stateDir), false);
    } finally {
      await standIn.close();
    }
  });

  it('refuses with exit 3 and the holder while a run holds STATE_DIR, since a LevelDB being written cannot be copied safely', async () => {
    const end = Math.floor(Date.now() / hour) * hour - 2 * day;
    const chats = generateChats({ count: 400, seed: 9, start: new Date(end - 3 * day), end: new Date(end), realNowMs: Date.now() });
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    try {
      const stateDir = await tempDir();
      const running = await startHoldingRun(cliEnv(standIn, receiver, stateDir), standIn);
      const dry = await runCli(['run', '--dry-run'], cliEnv(standIn, undefined, stateDir));
      assert.equal(dry.code, 3);
      assert.equal(dry.stdout, '', 'no conversations printed');
      const holder = JSON.parse(await readFile(join(stateDir, 'holder.json'), 'utf8')) as { pid: number };
      assert.match(dry.stderr, new RegExp(`held by a run \\(pid ${holder.pid}, \`memory-cron run\`, since \\d{4}-`));
      running.release();
      assert.equal((await running.done).code, 0);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('judges the holder by the LevelDB lock: a recorded live pid whose lock is free does not stop it, a held lock whose recorded pid is dead does', async () => {
    const end = Math.floor(Date.now() / hour) * hour - 2 * day;
    const chats = generateChats({ count: 100, seed: 10, start: new Date(end - 2 * day), end: new Date(end), realNowMs: Date.now() });
    const standIn = await startStandIn({ chats });
    try {
      const stateDir = await tempDir();
      await (await State.open(stateDir, 'memory-cron run')).close();
      const recorded = (pid: number) => writeFile(join(stateDir, 'holder.json'), `${JSON.stringify({ pid, command: 'memory-cron run', startedAt: '2026-11-24T09:00:00.000Z' })}\n`);
      await recorded(process.pid); // alive, but it holds no lock: a run killed with -9 whose pid was given to another process
      const free = await runCli(['run', '--dry-run', '--now', new Date(end + 2 * hour).toISOString()], cliEnv(standIn, undefined, stateDir));
      assert.equal(free.code, 0, free.stderr);
      assert.ok(free.stdout.length > 0, 'the conversations were printed');

      const dead = deadPid();
      await recorded(dead);
      const other = await holdLock(stateDir);
      try {
        const held = await runCli(['run', '--dry-run'], cliEnv(standIn, undefined, stateDir));
        assert.equal(held.code, 3, held.stderr);
        assert.equal(held.stdout, '', 'no conversations printed');
        assert.match(held.stderr, new RegExp(`"code":"MC_LOCKED".*held by a run \\(pid ${dead}, \`memory-cron run\`, since 2026-11-24T09:00:00\\.000Z\\)`));
      } finally {
        await other.release();
      }
    } finally {
      await standIn.close();
    }
  });
});
