import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { classifyGenerated, generateChats } from './fixtures/chat-generator.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { State } from '../src/store/state.js';
import { writeStatusFile } from '../src/statedir/status-file.js';
import type { StatusFile } from '../src/status/status-shape.js';
import { cliEnv } from './helpers/cli-env.js';
import { deadPid, holdLock } from './helpers/lock-holder.js';
import { runCli, startCli, startHoldingRun, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
const day = 24 * hour;
const end = Math.floor(Date.now() / hour) * hour - 2 * day;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function statusJson(stateDir: string): Promise<Record<string, any>> {
  const result = await runCli(['status', '--json'], { STATE_DIR: stateDir });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim().split('\n').length, 1, 'one JSON object on one line');
  return JSON.parse(result.stdout) as Record<string, any>;
}

describe('memory-cron status', () => {
  it('on a STATE_DIR where nothing has run says so, exits 0 and creates nothing', async () => {
    const stateDir = join(await tempDir(), 'state');
    const table = await runCli(['status'], { STATE_DIR: stateDir });
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^nothing has run in .*state yet/);
    const json = await statusJson(stateDir);
    assert.deepEqual([json['ranBefore'], json['state'], json['cursor'], json['lastRun']], [false, 'never-ran', null, null]);
    assert.equal(existsSync(stateDir), false);
  });

  it('after a run shows the cursor, the last run with its exit and counts, open, staged, sent, dead letters and quarantine', async () => {
    const chats = generateChats({ count: 600, seed: 21, start: new Date(end - 4 * day), end: new Date(end), badRate: 0.02, realNowMs: Date.now() });
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver({ respond: (delivery) => (delivery.body.messages[0].chatId % 13 === 0 ? { status: 422 } : { status: 200 }) });
    try {
      const stateDir = await tempDir();
      const newestMs = Math.max(...chats.filter((c) => classifyGenerated(c) !== 'bad').map((c) => Date.parse(String(c['createdAt']))));
      const run = await runCli(['run', '--now', new Date(newestMs + 10 * 60_000).toISOString()], cliEnv(standIn, receiver, stateDir));
      assert.equal(run.code, 6, 'a parked conversation makes the run exit 6');
      const summary = summaryOf(run) as Record<string, any>;
      const status = await statusJson(stateDir);
      assert.equal(status['ranBefore'], true);
      assert.equal(status['state'], 'idle');
      assert.equal(status['running'], false);
      const newest = Math.max(...chats.filter((c) => classifyGenerated(c) !== 'bad').map((c) => c['id'] as number));
      assert.equal(status['cursor']['id'], newest);
      assert.equal(status['cursor']['createdAt'], chats.find((c) => c['id'] === newest)?.['createdAt']);
      const last = status['lastRun'];
      assert.deepEqual([last['startedAt'], last['finishedAt'], last['exitCode'], last['error']['code']], [summary['startedAt'], summary['finishedAt'], 6, 'MC_DEAD_LETTERS']);
      assert.deepEqual(last['chats'], summary['chats']);
      assert.deepEqual(last['conversations'], summary['conversations']);
      const counts = status['counts'];
      assert.ok(counts['openConversations'] > 0 && counts['stagedChats'] >= counts['openConversations']);
      assert.equal(counts['sentConversations'], summary['conversations']['sent']);
      assert.equal(counts['parked'], summary['conversations']['parked']);
      assert.ok(counts['parked'] > 0);
      assert.equal(counts['deadLetters'], 0);
      assert.equal(counts['quarantined'], chats.filter((c) => classifyGenerated(c) === 'bad').length);

      const table = await runCli(['status'], { STATE_DIR: stateDir });
      assert.equal(table.code, 0);
      for (const label of ['state', 'cursor', 'last run', 'open', 'sent', 'dead letters', 'quarantined']) assert.match(table.stdout, new RegExp(`^${label} +\\S`, 'm'));
      assert.match(table.stdout, new RegExp(`^cursor +chat ${newest}, created `, 'm'));
      assert.match(table.stdout, /^last run +.*, exit 6 MC_DEAD_LETTERS/m);
      const c = summary['chats'];
      assert.match(table.stdout, new RegExp(`^  chats +${c['read']} read · ${c['staged']} staged · ${c['updated']} updated · ${c['skipped']} skipped \\(hidden\\) · `, 'm'), 'the summary\'s own names and numbers');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('answers while a run holds STATE_DIR, from the run’s checkpoints, without waiting for the lock', async () => {
    const chats = generateChats({ count: 700, seed: 22, start: new Date(end - 4 * day), end: new Date(end), realNowMs: Date.now() });
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    try {
      const stateDir = await tempDir();
      // Every page waits for the test: the run cannot finish while status is read. A run writes its counters at most
      // once a second, so pages are let through one at a time, 100 ms apart, until status shows them (35 pages: 3.5 s).
      const running = await startHoldingRun(cliEnv(standIn, receiver, stateDir), standIn);
      const pages = Math.ceil(chats.length / 20);
      let seen: Record<string, any> | undefined;
      for (let page = 1; seen === undefined && page < pages; page++) {
        const status = await statusJson(stateDir);
        if (status['running'] === true && status['progress'] !== null) seen = status;
        else {
          await sleep(100);
          running.step();
          await running.holding();
        }
      }
      assert.ok(seen !== undefined, 'status showed the run in progress');
      assert.equal(seen['state'], 'running');
      assert.equal(seen['holder']['pid'], running.child.pid);
      assert.equal(seen['holder']['command'], 'memory-cron run');
      assert.equal(seen['progress']['phase'], 'paging');
      assert.ok(seen['progress']['pages'] > 0 && seen['progress']['chats'] > 0);
      const table = await runCli(['status'], { STATE_DIR: stateDir });
      assert.match(table.stdout, new RegExp(`^state +running: pid ${running.child.pid}`, 'm'));
      running.release();
      assert.equal((await running.done).code, 0);
      const after = await statusJson(stateDir);
      assert.deepEqual([after['state'], after['holder'], after['progress'], after['lastRun']['exitCode']], ['idle', null, null, 0]);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('says a run was interrupted when the process that held STATE_DIR is gone, and shows the last failure', async () => {
    const chats = generateChats({ count: 400, seed: 23, start: new Date(end - 4 * day), end: new Date(end), realNowMs: Date.now() });
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    try {
      const stateDir = await tempDir();
      const refused = await runCli(['run'], cliEnv(standIn, receiver, stateDir, { API_KEY: 'wrong' }));
      assert.equal(refused.code, 4);
      const failed = await statusJson(stateDir);
      assert.deepEqual([failed['lastRun']['exitCode'], failed['lastRun']['error']['code']], [4, 'MC_SOURCE_AUTH']);

      // Pages 0–2 are answered, page 3 waits: the run is mid-paging, holding STATE_DIR, when it is killed.
      const pause = standIn.pause(3);
      const running = startCli(['run'], cliEnv(standIn, receiver, stateDir, { HTTP_TIMEOUT: '1h' }));
      await pause.holding();
      running.child.kill('SIGKILL');
      await running.done;
      pause.release();
      const status = await statusJson(stateDir);
      assert.equal(status['state'], 'interrupted');
      assert.equal(status['running'], false);
      assert.equal(status['lastRun']['exitCode'], 4, 'the last finished run is still the one shown');
      const table = await runCli(['status'], { STATE_DIR: stateDir });
      assert.match(table.stdout, /^state +interrupted: .*the next run finishes its work/m);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });
});

describe('memory-cron status asks the LevelDB lock, not the recorded pid, whether a run holds STATE_DIR', () => {
  // A state a run opened and closed, and a status.json saying a run is going, held by `pid`.
  async function stateSayingRunning(pid: number): Promise<{ stateDir: string; file: StatusFile }> {
    const stateDir = await tempDir();
    await (await State.open(stateDir, 'memory-cron run')).close();
    const file: StatusFile = { format: 2, version: '0.1.0', updatedAt: new Date().toISOString(), running: true, holder: { pid, command: 'memory-cron run', startedAt: '2026-11-24T09:00:00.000Z' }, progress: { phase: 'paging', pages: 3, chats: 60 }, cursor: null, floor: null, lastRun: null, totals: null };
    await writeStatusFile(stateDir, file);
    return { stateDir, file };
  }

  it('status.json names a live pid (a reused one: this test’s own) but nothing holds the lock: no run holds it', async () => {
    const { stateDir } = await stateSayingRunning(process.pid);
    const status = await statusJson(stateDir);
    assert.deepEqual([status['state'], status['running'], status['progress']], ['interrupted', false, null]);
    assert.equal(status['holder']['pid'], process.pid, 'the recorded holder is still what is shown');
    const table = await runCli(['status'], { STATE_DIR: stateDir });
    assert.match(table.stdout, new RegExp(`^state +interrupted: the run pid ${process.pid} started 2026-11-24T09:00:00\\.000Z ended without its last checkpoint`, 'm'));
  });

  it('another process really holds the state open, while the pid status.json names is dead: a run holds it', async () => {
    const dead = deadPid();
    const { stateDir, file } = await stateSayingRunning(dead);
    const other = await holdLock(stateDir); // resolves once the other process says it has the lock
    try {
      const status = await statusJson(stateDir);
      assert.deepEqual([status['state'], status['running'], status['holder']['pid'], status['progress']['pages']], ['running', true, dead, 3]);
      const table = await runCli(['status'], { STATE_DIR: stateDir });
      assert.match(table.stdout, new RegExp(`^state +running: pid ${dead}, \`memory-cron run\`, since 2026-11-24T09:00:00\\.000Z`, 'm'));

      // status.json says the last run ended, but something (a `dead-letters` listing, say) holds the lock: running.
      await writeStatusFile(stateDir, { ...file, running: false, holder: null, progress: null });
      const idleFile = await statusJson(stateDir);
      assert.deepEqual([idleFile['state'], idleFile['running'], idleFile['holder']], ['running', true, null]);
      assert.match((await runCli(['status'], { STATE_DIR: stateDir })).stdout, /^state +running: a process holds the lock of STATE_DIR \(holder not recorded\)/m);
    } finally {
      await other.release();
    }
    const after = await statusJson(stateDir);
    assert.deepEqual([after['state'], after['running']], ['idle', false], 'the lock is free once the other process closed the state');
  });
});
