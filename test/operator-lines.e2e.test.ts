import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openSync, closeSync, fstatSync, readFileSync } from 'node:fs';
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

describe('what operators read', () => {
  it('a webhook refusing the signature: the run stops after 10 in a row, naming the URL, HTTP 401 and WEBHOOK_SECRET (exit 6)', async () => {
    // Twelve histories with one closed conversation each.
    const chats = Array.from({ length: 12 }, (_, i) => makeChat({ id: i + 1, thread_id: i + 1, user_id: 1, createdAt: new Date(t0 + i * 60_000).toISOString() }));
    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver({ secret: 'the receiver secret' });
    try {
      const result = await runCli(['run', '--now', new Date(t0 + 3 * hour).toISOString(), '--concurrency', '1'], cliEnv(standIn, receiver, await tempDir(), { WEBHOOK_SECRET: 'another secret' }));
      assert.equal(result.code, 6, result.stdout + result.stderr);
      assert.equal(receiver.deliveries.length, 10, 'no new delivery starts once the webhook is taken to be down');
      const last = result.lines.at(-1);
      assert.equal(last?.['code'], 'MC_WEBHOOK_DOWN');
      assert.match(last?.['msg'], /the webhook at http:\/\/127\.0\.0\.1:\d+\/hook failed 10 deliveries in a row \(last: HTTP 401: invalid signature\): it refuses the requests — check WEBHOOK_SECRET/);
    } finally {
      await standIn.close();
      await receiver.close();
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
      assert.match(json.msg, /BASE_URL is missing/);
    }
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
