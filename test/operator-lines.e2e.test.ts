import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openSync, closeSync, fstatSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat } from './fixtures/raw-chat.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { cliEnv } from './helpers/cli-env.js';
import { cliPath, runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const t0 = Date.parse('2026-11-10T15:00:00Z');
const hour = 3_600_000;
/** The one line a run with no settings at all gets: every required setting named at once. */
const missingAll = "3 settings are missing: BASE_URL (or --base-url: the AnythingLLM server's root, e.g. http://localhost:3001); API_KEY (or --api-key-file, or the systemd credential api-key); WEBHOOK_URL (or --webhook-url: the memory webhook, e.g. https://memory.example/hook) — set them in the environment (or /etc/memory-cron/env under systemd)";

describe('what operators read', () => {
  it('a webhook refusing the signature: the run stops after 10 in a row, naming the URL, HTTP 401 and WEBHOOK_SECRET (exit 6)', async () => {
    // Twelve histories with one closed conversation each.
    const chats = Array.from({ length: 12 }, (_, i) => makeChat({ id: i + 1, thread_id: i + 1, user_id: 1, createdAt: new Date(t0 + i * 60_000).toISOString() }));
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver({ secret: 'the receiver secret' });
    try {
      const stateDir = await tempDir();
      const result = await runCli(['run', '--now', new Date(t0 + 3 * hour).toISOString(), '--concurrency', '1'], cliEnv(standIn, receiver, stateDir, { WEBHOOK_SECRET: 'another secret' }));
      assert.equal(result.code, 6, result.stdout + result.stderr);
      assert.equal(receiver.deliveries.length, 10, 'no new delivery starts once the webhook is taken to be down');
      assert.match(result.lines.find((line) => line['summary'] !== undefined)?.['msg'], /, 0 open, 0 dead, 10 parked, 2 not tried \(webhook down\)$/, 'the refused ones are counted as parked, not dead, and the two never tried are counted too');
      assert.equal(result.lines.find((line) => line['summary'] !== undefined)?.['summary']['conversations']['waiting'], 2);
      const last = result.lines.at(-1);
      assert.equal(last?.['code'], 'MC_WEBHOOK_DOWN');
      assert.match(last?.['msg'], /the webhook at http:\/\/127\.0\.0\.1:\d+\/… failed 10 deliveries in a row \(last: HTTP 401: invalid signature\): it refuses the requests — check WEBHOOK_SECRET/);
      assert.match(last?.['msg'], /; it was taken to be down and the other 2 closed conversations were not tried: the next run sends them first; the 10 parked by this run \(refused with a permanent 4xx\) wait in the outbox for `memory-cron dead-letters retry` once the webhook is fixed$/);

      // The secret fixed, the next night sends the two left and exits 0, but says the ten parked ones still wait.
      const next = await runCli(['run', '--now', new Date(t0 + 3 * hour).toISOString()], cliEnv(standIn, receiver, stateDir, { WEBHOOK_SECRET: 'the receiver secret' }));
      assert.equal(next.code, 0, next.stdout + next.stderr);
      assert.equal(receiver.accepted.size, 2);
      const waiting = next.lines.filter((line) => line['code'] === 'MC_PARKED_WAITING');
      assert.deepEqual(waiting.map((line) => [line['level'], line['parked']]), [[40, 10]], next.stdout);
      assert.match(waiting[0]?.['msg'], /^10 parked conversations .* wait in the outbox for `memory-cron dead-letters retry`/);
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  it('a webhook whose path is its token (n8n, Zapier style) refusing with 401: no line, status.json or status output shows the path, only the origin', async () => {
    const chats = Array.from({ length: 12 }, (_, i) => makeChat({ id: i + 1, thread_id: i + 1, user_id: 1, createdAt: new Date(t0 + i * 60_000).toISOString() }));
    const standIn = await startStandIn({ chats });
    // The first conversation's POSTs are cut (a RetryableError, whose message names the URL); every other one is a 401.
    const paths: string[] = [];
    const webhook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        paths.push(req.url ?? '');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: { chatId: number }[] };
        if (body.messages.some((m) => m.chatId === 1)) return void req.socket.destroy();
        res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;
    const token = 'sekrit-path-tok';
    const stateDir = await tempDir();
    const logDir = await tempDir();
    try {
      const env = { BASE_URL: standIn.url, API_KEY: standIn.apiKey, WEBHOOK_URL: `${origin}/hook/${token}?token=q`, STATE_DIR: stateDir, LOG_DIR: logDir, RETRY_MIN_DELAY: '10', RETRIES: '1' };
      const result = await runCli(['run', '--now', new Date(t0 + 3 * hour).toISOString(), '--concurrency', '1'], env);
      assert.equal(result.code, 6, result.stdout + result.stderr);
      assert.ok(paths.length > 0 && paths.every((path) => path === `/hook/${token}?token=q`), 'the POSTs went to the whole URL');
      const last = result.lines.at(-1);
      assert.equal(last?.['code'], 'MC_WEBHOOK_DOWN');
      assert.ok(last?.['msg'].includes(`the webhook at ${origin}/… failed 10 deliveries in a row (last: HTTP 401: unauthorized)`), last?.['msg']);
      assert.ok(result.lines.some((line) => line['reason'] === `POST ${origin}/…: ECONNRESET`), 'the retry line names the origin only');
      const dead = JSON.parse((await runCli(['dead-letters', '--json'], { STATE_DIR: stateDir })).stdout) as { deadLetters: { status: string; lastError: string }[] };
      assert.ok(dead.deadLetters.some((letter) => letter.status === 'dead' && letter.lastError === `POST ${origin}/…: ECONNRESET`), JSON.stringify(dead));

      // The same URL given as a flag: the command line status.json and the holder record shows it as the origin only.
      const { WEBHOOK_URL: url, ...withoutUrl } = env;
      const flagged = await runCli(['run', '--webhook-url', url, '--now', new Date(t0 + 4 * hour).toISOString()], withoutUrl);
      assert.equal(flagged.code, 6, flagged.stdout + flagged.stderr);
      assert.match(await readFile(join(stateDir, 'status.json'), 'utf8'), new RegExp(`"command": "memory-cron run --webhook-url ${origin.replace(/[.]/g, '\\.')}/… --now `));
      const status = await runCli(['status'], { STATE_DIR: stateDir });
      const statusJson = await runCli(['status', '--json'], { STATE_DIR: stateDir });
      const deadTable = await runCli(['dead-letters'], { STATE_DIR: stateDir });
      assert.equal(status.code, 0, status.stderr);
      assert.ok(status.stdout.includes(`${origin}/…`), status.stdout);
      const logs = await Promise.all((await readdir(logDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'utf8')));
      assert.ok(logs.length > 0, 'LOG_DIR holds the daily file');
      const outputs = { 'the run\'s lines': result.stdout + result.stderr + flagged.stdout + flagged.stderr, 'status.json': await readFile(join(stateDir, 'status.json'), 'utf8'), status: status.stdout + status.stderr, 'status --json': statusJson.stdout, 'dead-letters': deadTable.stdout + JSON.stringify(dead), 'LOG_DIR': logs.join('') };
      for (const [where, text] of Object.entries(outputs)) {
        assert.ok(!text.includes(token) && !text.includes('/hook'), `${where} shows the webhook's path`);
        assert.ok(!text.includes('token=q'), `${where} shows the webhook's query`);
      }
    } finally {
      await standIn.close();
      webhook.closeAllConnections();
      await new Promise<void>((resolve) => webhook.close(() => resolve()));
    }
  });

  it('under the journal, every line of a start that fails before logging (a missing setting) is one JSON object', async () => {
    const dir = await tempDir();
    const out = join(dir, 'journal');
    const fd = openSync(out, 'w');
    const { dev, ino } = fstatSync(fd);
    try {
      const child = spawn(process.execPath, [cliPath, 'run'], { env: { PATH: process.env['PATH'], JOURNAL_STREAM: `${dev}:${ino}`, STATE_DIR: join(dir, 'state') }, stdio: ['ignore', fd, fd] });
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal(code, 2);
    } finally {
      closeSync(fd);
    }
    const lines = readFileSync(out, 'utf8').split('\n').filter((line) => line !== '');
    assert.ok(lines.length > 0);
    for (const line of lines) {
      const json = JSON.parse(line.replace(/^<\d>/, ''));
      assert.equal(json.code, 'MC_CONFIG');
      assert.equal(json.msg, missingAll);
    }
  });

  it('in a pipe (a container, cron), a start that fails before logging is one JSON line on stderr, timed like every other line', async () => {
    const result = await runCli(['run'], { STATE_DIR: await tempDir() });
    assert.equal(result.code, 2);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, result.stderr);
    const json = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.deepEqual([json['level'], json['code']], [50, 'MC_CONFIG']);
    assert.equal(json['msg'], missingAll);
    assert.match(String(json['time']), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'an ISO time, as pino writes it');
  });

  it('under the journal, reconcile writes only JSON lines: the ids it found go in a log line, the table is for a terminal', async () => {
    const chats = Array.from({ length: 6 }, (_, i) => makeChat({ id: i + 1, thread_id: 1, user_id: 1, createdAt: new Date(t0 + i * 60_000).toISOString() }));
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    const dir = await tempDir();
    const env = cliEnv(standIn, receiver, join(dir, 'state'));
    const out = join(dir, 'journal');
    try {
      assert.equal((await runCli(['run', '--now', new Date(t0 + 5 * hour).toISOString()], env)).code, 0);
      const fd = openSync(out, 'w');
      const { dev, ino } = fstatSync(fd);
      try {
        const child = spawn(process.execPath, [cliPath, 'reconcile'], { env: { ...env, PATH: process.env['PATH'], JOURNAL_STREAM: `${dev}:${ino}` }, stdio: ['ignore', fd, fd] });
        assert.equal(await new Promise((resolve) => child.on('close', resolve)), 0);
      } finally {
        closeSync(fd);
      }
    } finally {
      await standIn.close();
      await receiver.close();
    }
    const lines = readFileSync(out, 'utf8').split('\n').filter((line) => line !== '');
    const parsed = lines.map((line) => JSON.parse(line.replace(/^<\d>/, '')) as Record<string, any>);
    assert.ok(parsed.some((line) => /^reconcile finished: 6 chats read, 0 missed/.test(line['msg'])), lines.join('\n'));
    assert.deepEqual(parsed.find((line) => line['found'] !== undefined)?.['found']['missed'], { count: 0, ids: [] });
  });

  it('a source that does not answer: check asks whether BASE_URL is right and AnythingLLM running (exit 5)', async () => {
    const result = await runCli(['check'], { BASE_URL: 'http://127.0.0.1:9', API_KEY: 'k', WEBHOOK_URL: 'http://127.0.0.1:9/hook', STATE_DIR: await tempDir(), RETRY_MIN_DELAY: '1' });
    assert.equal(result.code, 5, result.stdout + result.stderr);
    const last = result.lines.at(-1);
    assert.equal(last?.['code'], 'MC_SOURCE_UNAVAILABLE');
    assert.match(last?.['msg'], /is BASE_URL right, and is AnythingLLM running\?/);
    assert.match(last?.['cause'] ?? '', /ECONNREFUSED|refused/);
  });
});
