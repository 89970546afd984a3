// DESIGN §3 "Reaching the receiver": receivers that authenticate by header (n8n Header Auth, Basic auth, an API
// gateway) get every conversation once with the lines of WEBHOOK_HEADERS_FILE, and no value of that file reaches a log
// line at LOG_LEVEL=trace, the LOG_DIR file or status.json, not even when the receiver echoes the headers it got.
import { strict as assert } from 'node:assert';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { startWebhookReceiver, type Delivery, type Reply } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, cliEnv, secret } from './helpers/cli-env.js';
import { assertDeliveredExactly, hour, outcome, snapshotState } from './helpers/guarantees.ts';
import { runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const t1 = Date.parse('2026-11-23T09:00:00Z');
const chats = generateChats({ count: 80, seed: 52, start: new Date(t1 - 2 * 24 * hour), end: new Date(t1), realNowMs: Date.now() });
const token = 'n8n-header-auth-7d1c0b9e44f2a6';
const password = 'basic-password-51e0c7a9b3';
const basic = Buffer.from(`memory-cron:${password}`).toString('base64');

const receivers = [
  { name: 'a receiver requiring a Bearer header (n8n Header Auth, a FastAPI gateway)', file: `# n8n Header Auth credential\nAuthorization: Bearer ${token}\n`, wants: (d: Delivery) => d.headers['authorization'] === `Bearer ${token}`, forms: [token, `Bearer ${token}`] },
  { name: 'a receiver requiring Basic auth (n8n Basic Auth)', file: `Authorization: Basic ${basic}\r\n`, wants: (d: Delivery) => d.headers['authorization'] === `Basic ${basic}`, forms: [basic, password, `memory-cron:${password}`] },
  { name: 'an API gateway wanting X-API-Key', file: `X-API-Key: ${token}\n`, wants: (d: Delivery) => d.headers['x-api-key'] === token, forms: [token] },
];

describe('webhook header auth', () => {
  for (const r of receivers) {
    it(`${r.name} gets every conversation once; no header value in a log line, LOG_DIR or status.json`, async () => {
      const standIn = await startStandIn({ chats: [...chats] });
      // Refuses anything without the header; answers some first attempts with a 503 echoing the headers it got.
      const receiver = await startWebhookReceiver({
        secret,
        respond: (delivery, attempt): Reply => {
          if (!r.wants(delivery)) return { status: 401, body: 'missing credentials' };
          if (attempt === 1 && (chatIdsOf(delivery.body)[0] ?? 0) % 4 === 0) return { status: 503, body: JSON.stringify(delivery.headers) };
          return { status: 200 };
        },
      });
      const dir = await tempDir();
      const stateDir = join(dir, 'state');
      const logDir = join(dir, 'logs');
      const headersFile = join(dir, 'webhook-headers');
      await writeFile(headersFile, r.file, { mode: 0o600 });
      try {
        const env = cliEnv(standIn, receiver, stateDir, { WEBHOOK_HEADERS_FILE: headersFile, WEBHOOK_SECRET: secret, LOG_LEVEL: 'trace', LOG_DIR: logDir, RETRY_MIN_DELAY: '5' });
        const check = await runCli(['check'], env);
        assert.equal(check.code, 0, outcome(check));
        const night = await runCli(['--now', new Date(t1 + 2 * hour).toISOString()], env);
        assert.equal(night.code, 0, outcome(night));
        assert.ok(receiver.deliveries.every(r.wants), 'every POST carried the header');
        assert.ok(receiver.deliveries.some((d) => d.status === 503), 'some first attempts failed, echoing the headers');
        assertDeliveredExactly(receiver, chats, t1 + 2 * hour, await snapshotState(stateDir));

        const logs = (await Promise.all((await readdir(logDir)).map((name) => readFile(join(logDir, name), 'utf8')))).join('');
        const statusJson = await readFile(join(stateDir, 'status.json'), 'utf8');
        const places = { 'check stdout': check.stdout + check.stderr, 'run stdout': night.stdout, 'run stderr': night.stderr, 'the LOG_DIR file': logs, 'status.json': statusJson };
        assert.ok(night.lines.some((line) => line["level"] === 40), `the run logged: ${night.stdout.slice(0, 500)}`);
        for (const [where, text] of Object.entries(places)) {
          for (const form of r.forms) assert.ok(!text.includes(form), `${where} holds a header value (${form.slice(0, 6)}…):\n${text.slice(0, 2000)}`);
        }
      } finally {
        await Promise.all([standIn.close(), receiver.close()]);
      }
    });
  }

  it('without the header file the Bearer receiver refuses every conversation, and the line points at WEBHOOK_HEADERS_FILE', async () => {
    const standIn = await startStandIn({ chats: chats.slice(0, 20) });
    const receiver = await startWebhookReceiver({ respond: (d): Reply => (receivers[0]!.wants(d) ? { status: 200 } : { status: 403, body: 'forbidden' }) });
    try {
      const night = await runCli(['--now', new Date(t1 + 2 * hour).toISOString()], cliEnv(standIn, receiver, await tempDir()));
      assert.equal(night.code, 6, outcome(night));
      const last = String(night.lines.at(-1)?.['msg']);
      assert.ok(receiver.accepted.size === 0, 'nothing accepted');
      if (last.includes('taken to be down')) assert.match(last, /check WEBHOOK_SECRET against the receiver's signing secret, and the credentials it wants in WEBHOOK_HEADERS_FILE/);
      else assert.match(last, /HTTP 403/);
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });
});
