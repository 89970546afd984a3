// The receivers in examples/ (docs/receiver.md) are real: each one takes a real night through the built CLI, verifies
// every signature, refuses forged and stale requests, and drops the conversation a crash made the job send twice.
// python3 missing skips the Python one LOUDLY (a line on stderr and the test's skip reason), never silently.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { cliEnv, secret } from './helpers/cli-env.js';
import { outcome } from './helpers/guarantees.ts';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const examples = fileURLToPath(new URL('../examples/', import.meta.url));
const hour = 3_600_000;
const now = Date.parse('2026-11-23T09:00:00Z');
const python = spawnSync('python3', ['--version']).status === 0;
if (!python) process.stderr.write('\n*** python3 is not installed: examples/receiver.py is NOT tested (install python3 to test it) ***\n\n');

/** A started example receiver: its URL and every JSON event it printed so far. */
interface Example {
  readonly url: string;
  readonly events: Record<string, unknown>[];
  /** Resolves once `count` events of `kind` were printed (stdout is read in order: every earlier event is in too). */
  printed(kind: string, count: number): Promise<void>;
  stop(): Promise<void>;
}

async function startExample(command: string, args: string[], inbox: string): Promise<Example> {
  const child: ChildProcess = spawn(command, args, { env: { PATH: process.env['PATH'], PORT: '0', INBOX_DIR: inbox, WEBHOOK_SECRET: secret }, stdio: ['ignore', 'pipe', 'inherit'] });
  const events: Record<string, unknown>[] = [];
  const waiting = new Set<() => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    void exited.then(() => reject(new Error(`${command} ${args.join(' ')} exited before it listened`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      for (const check of waiting) check();
      if (event['event'] === 'listening') resolve(String(event['url']));
    });
  });
  const printed = (kind: string, count: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (events.filter((event) => event['event'] === kind).length < count) return;
        waiting.delete(check);
        resolve();
      };
      waiting.add(check);
      check();
    });
  return { url, events, printed, stop: async () => void (child.kill('SIGTERM'), await exited) };
}

/** POSTs `body` to the receiver with the headers memory-cron would send, signed with `key` at `timestamp`. */
async function forged(url: string, key: string, timestamp: number): Promise<number> {
  const body = JSON.stringify({ id: 'conv_forged', messages: [], continues: null });
  const signature = createHmac('sha256', Buffer.from(key.slice(6), 'base64')).update(`conv_forged.${timestamp}.${body}`).digest('base64');
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'webhook-id': 'conv_forged', 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` } });
  return response.status;
}

const receivers: { name: string; command: string; args: string[]; skip: string | false }[] = [
  { name: 'examples/receiver.mjs', command: process.execPath, args: [join(examples, 'receiver.mjs')], skip: false },
  { name: 'examples/receiver.py', command: 'python3', args: [join(examples, 'receiver.py')], skip: !python && 'python3 is not installed: examples/receiver.py NOT tested' },
];

describe('the receiver examples against a real night', () => {
  for (const receiver of receivers) {
    it(`${receiver.name} verifies every signature, refuses forged and stale requests, and drops the conversation a crash sent twice`, { skip: receiver.skip }, async () => {
      const inbox = join(await tempDir(), 'inbox');
      const example = await startExample(receiver.command, receiver.args, inbox);
      const standIn = await startStandIn({ chats: generateChats({ count: 80, seed: 9, start: new Date(now - 48 * hour), end: new Date(now - 2 * hour), realNowMs: Date.now() }) });
      try {
        const env = cliEnv(standIn, undefined, await tempDir(), { WEBHOOK_URL: example.url, WEBHOOK_SECRET: secret, CONCURRENCY: '1' });
        // The first night is killed after the webhook stored its third conversation and before the job marked it sent.
        const killed = await runCli(['--now', new Date(now).toISOString()], { ...env, MEMORY_CRON_TEST_KILL_AT: 'posted:3' });
        assert.equal(killed.signal, 'SIGKILL', outcome(killed));
        const night = await runCli(['--now', new Date(now).toISOString()], env);
        assert.equal(night.code, 0, outcome(night));
        const conversations = summaryOf(night)?.['conversations'];
        assert.equal(conversations?.['resent'], 1, 'the night resent the one in flight at the kill');

        const stale = await forged(example.url, secret, Math.floor(Date.now() / 1000) - 3600);
        const wrongKey = await forged(example.url, 'whsec_' + Buffer.from('another secret, 32 bytes long!!').toString('base64'), Math.floor(Date.now() / 1000));
        assert.deepEqual([stale, wrongKey], [401, 401]);
        await example.printed('refused', 2);

        const of = (kind: string) => example.events.filter((event) => event['event'] === kind);
        assert.deepEqual(of('refused').map((event) => event['reason']), ['timestamp too old or too new', 'no valid v1 signature']);
        assert.equal(of('duplicate').length, 1, 'the resend was dropped as a duplicate');
        const accepted = of('accepted').map((event) => String(event['id']));
        assert.ok(accepted.includes(String(of('duplicate')[0]?.['id'])), 'the duplicate is one it had stored');
        assert.equal(accepted.length, 3 + Number(conversations?.['sent']) - 1, 'every conversation stored once: three before the kill, then the rest');
        assert.equal(new Set(accepted).size, accepted.length);
        const stored = readdirSync(inbox).filter((name) => name.endsWith('.json')).sort();
        assert.deepEqual(stored, accepted.map((id) => `${id}.json`).sort(), 'the inbox holds each accepted conversation');
        for (const name of stored) assert.equal(JSON.parse(readFileSync(join(inbox, name), 'utf8')).id, name.slice(0, -5), `${name} holds its conversation`);
      } finally {
        await Promise.all([standIn.close(), example.stop()]);
      }
    });
  }
});
