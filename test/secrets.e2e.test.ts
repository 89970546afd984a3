// DESIGN §5/§6: the API key and the webhook secret reach no log line at any level, on stdout, stderr or the LOG_DIR
// file: not on the normal path, not in retries and errors that carry URLs, headers or bodies, not when an operator
// put the key in BASE_URL itself.
import { strict as assert } from 'node:assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { startWebhookReceiver, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf } from './helpers/cli-env.js';
import { hour, outcome } from './helpers/guarantees.ts';
import { runCli, type CliResult } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const apiKey = 'sk-ANYTHINGLLM-7Q2X9-not-for-logs';
const keyPart = Buffer.from('webhook secret bytes: never log!').toString('base64');
const webhookSecret = `whsec_${keyPart}`;
const t1 = Date.parse('2026-11-23T09:00:00Z');
const chats = generateChats({ count: 120, seed: 41, start: new Date(t1 - 2 * 24 * hour), end: new Date(t1), realNowMs: Date.now() });
const figures = { runs: 0, lines: 0, leaks: 0 };

/** Every form a secret could take in a line: as is, base64 key part, in a header, percent-encoded. */
const forms = [apiKey, `Bearer ${apiKey}`, encodeURIComponent(apiKey), webhookSecret, keyPart, encodeURIComponent(webhookSecret)];

/** Runs the CLI with LOG_LEVEL=trace and a LOG_DIR; asserts no secret in stdout, stderr or the day's file. */
async function runAndSearch(args: string[], env: Record<string, string>): Promise<CliResult> {
  const logDir = await tempDir();
  const result = await runCli(args, { LOG_LEVEL: 'trace', LOG_DIR: logDir, RETRY_MIN_DELAY: '5', RETRIES: '1', HTTP_TIMEOUT: '300', ...env });
  const files = await Promise.all((await readdir(logDir)).map((name) => readFile(join(logDir, name), 'utf8')));
  const outputs = { stdout: result.stdout, stderr: result.stderr, 'the LOG_DIR file': files.join('') };
  figures.runs++;
  figures.lines += Object.values(outputs).join('').split('\n').filter((line) => line !== '').length;
  for (const [where, text] of Object.entries(outputs)) {
    for (const form of forms) {
      if (text.includes(form)) figures.leaks++;
      assert.ok(!text.includes(form), `${where} holds a secret (${form.slice(0, 12)}…):\n${text.slice(0, 3000)}`);
    }
  }
  assert.ok(result.stdout.length + result.stderr.length > 0, 'the run said something');
  return result;
}

async function servers(): Promise<{ standIn: StandIn; receiver: Receiver; close(): Promise<void> }> {
  const standIn = await startStandIn({ apiKey, chats: [...chats] });
  // The webhook fails in every way once, and echoes the request headers in its 400 body like a debug endpoint.
  const receiver = await startWebhookReceiver({
    secret: webhookSecret,
    respond: (delivery, attempt) => {
      const first = chatIdsOf(delivery.body)[0] ?? 0;
      if (attempt === 1 && first % 5 === 0) return { status: 503, body: 'upstream down' };
      if (attempt === 1 && first % 5 === 1) return { reset: true };
      if (first % 7 === 3) return { status: 400, body: JSON.stringify(delivery.headers) };
      if (first % 11 === 4) return { status: 401 };
      return { status: 200 };
    },
  });
  return { standIn, receiver, close: () => Promise.all([standIn.close(), receiver.close()]).then(() => undefined) };
}

describe('secrets never reach a log line', () => {
  it('a night with source and webhook faults, logged at trace level, mentions neither the API key nor the webhook secret', async () => {
    const { standIn, receiver, close } = await servers();
    try {
      for (const fault of [{ kind: 'status', status: 500 }, { kind: 'reset' }, { kind: 'truncated' }, { kind: 'status', status: 429, retryAfter: '0' }, { kind: 'hang', ms: 1_000 }] as const) standIn.fault(fault);
      const result = await runAndSearch(['--now', new Date(t1).toISOString()], { BASE_URL: standIn.url, API_KEY: apiKey, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: webhookSecret, STATE_DIR: await tempDir(), RETRIES: '5' });
      assert.equal(result.code, 6, outcome(result));
      assert.ok(result.lines.filter((line) => line['level'] === 40).length >= 5, 'the retries were logged');
      assert.ok(receiver.deliveries.every((d) => d.signatureValid === true), 'the deliveries were signed with the secret');
    } finally {
      await close();
    }
  });

  it('a refused key (403) and the `check` command mention neither secret', async () => {
    const { standIn, receiver, close } = await servers();
    try {
      const env = { BASE_URL: standIn.url, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: webhookSecret, STATE_DIR: await tempDir() };
      const refused = await runAndSearch(['--now', new Date(t1).toISOString()], { ...env, API_KEY: `${apiKey}-revoked` });
      assert.equal(refused.code, 4, outcome(refused));
      const check = await runAndSearch(['check'], { ...env, API_KEY: apiKey });
      assert.equal(check.code, 0, outcome(check));
    } finally {
      await close();
    }
  });

  it('the API key put in BASE_URL (as a password, in the query, or in a malformed URL) is refused or fails without showing it', async () => {
    const { standIn, receiver, close } = await servers();
    try {
      const env = { API_KEY: apiKey, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: webhookSecret, STATE_DIR: await tempDir() };
      const host = standIn.url.replace('http://', '');
      const inUserinfo = await runAndSearch(['--now', new Date(t1).toISOString()], { ...env, BASE_URL: `http://admin:${apiKey}@${host}` });
      assert.equal(inUserinfo.code, 2, `a BASE_URL carrying a password is a configuration error: ${outcome(inUserinfo)}`);
      const inQuery = await runAndSearch(['--now', new Date(t1).toISOString()], { ...env, BASE_URL: `${standIn.url}/?key=${apiKey}` });
      assert.notEqual(inQuery.code, 0, outcome(inQuery));
      const malformed = await runAndSearch(['--now', new Date(t1).toISOString()], { ...env, BASE_URL: `http//admin:${apiKey}@${host}` });
      assert.equal(malformed.code, 2, outcome(malformed));
      assert.match(malformed.stderr, /BASE_URL .*is not a URL/, 'the line still names the setting');
    } finally {
      await close();
    }
  });

  it('the webhook secret put in WEBHOOK_URL as well (a token query) stays out of every line, also when the webhook fails', async () => {
    const { standIn, receiver, close } = await servers();
    try {
      const result = await runAndSearch(['--now', new Date(t1).toISOString()], { BASE_URL: standIn.url, API_KEY: apiKey, WEBHOOK_URL: `${receiver.url}?token=${encodeURIComponent(webhookSecret)}`, WEBHOOK_SECRET: webhookSecret, STATE_DIR: await tempDir(), RETRIES: '0' });
      assert.equal(result.code, 6, outcome(result));
      console.log(`guarantees: secret checks: ${figures.runs} runs at LOG_LEVEL=trace, ${figures.lines} lines of stdout, stderr and LOG_DIR searched for ${forms.length} forms of the two secrets: ${figures.leaks} found`);
    } finally {
      await close();
    }
  });
});

describe('a secret of two characters', () => {
  // `d,` is in every "run finished: … chats read, …" line, never in a field name, and in JSON syntax nowhere: scrubbed
  // from string values, it leaves every line one JSON object; a raw-text replacement would not (docs/security.md).
  const short = 'd,';

  it('a run and `check` with a 2-character WEBHOOK_SECRET write only JSON lines, none holding it, and warn once that it is weak', async () => {
    const standIn = await startStandIn({ apiKey, chats: [...chats] });
    const receiver = await startWebhookReceiver({ secret: short, respond: (delivery, attempt) => (attempt === 1 && (chatIdsOf(delivery.body)[0] ?? 0) % 5 === 0 ? { status: 503, body: 'upstream down, retry' } : { status: 200 }) });
    try {
      const env = { BASE_URL: standIn.url, API_KEY: apiKey, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: short, STATE_DIR: await tempDir(), LOG_LEVEL: 'trace', RETRY_MIN_DELAY: '5' };
      for (const args of [['--now', new Date(t1).toISOString()], ['check']]) {
        const logDir = await tempDir();
        const result = await runCli(args, { ...env, LOG_DIR: logDir });
        assert.equal(result.code, 0, outcome(result));
        const file = (await Promise.all((await readdir(logDir)).map((name) => readFile(join(logDir, name), 'utf8')))).join('');
        for (const [where, text] of Object.entries({ stdout: result.stdout, stderr: result.stderr, 'the LOG_DIR file': file })) {
          const lines = text.split('\n').filter((line) => line !== '');
          for (const line of lines) {
            let parsed: unknown;
            assert.doesNotThrow(() => (parsed = JSON.parse(line)), `${where}: not one JSON object: ${line}`);
            assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `${where}: ${line}`);
          }
          assert.ok(!text.includes(short) && !text.includes(encodeURIComponent(short)), `${where} holds the secret:\n${text.slice(0, 3000)}`);
        }
        assert.equal(file.split('\n').filter((line) => line !== '').length, result.lines.length, 'the LOG_DIR file has the lines stdout has');
        if (args[0] !== 'check') assert.match(String(result.lines.find((line) => line['summary'] !== undefined)?.['msg']), / chats rea\[redacted\] \d+ conversations sent/, 'the secret was there to scrub');
        const warnings = result.lines.filter((line) => line['setting'] === 'WEBHOOK_SECRET');
        assert.equal(warnings.length, 1, `${args[0]}: one warning about the weak secret`);
        assert.equal(warnings[0]?.['level'], 40);
        assert.match(warnings[0]?.['msg'], /^WEBHOOK_SECRET is shorter than 16 characters: a weak signing secret/);
      }
      const finished = receiver.deliveries.length;
      assert.ok(finished > 0 && receiver.deliveries.every((d) => d.signatureValid === true), 'the deliveries were signed with the short secret');
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });

  it('a long WEBHOOK_SECRET gets no warning', async () => {
    const { standIn, receiver, close } = await servers();
    try {
      const check = await runCli(['check'], { BASE_URL: standIn.url, API_KEY: apiKey, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: webhookSecret, STATE_DIR: await tempDir() });
      assert.equal(check.code, 0, outcome(check));
      assert.equal(check.lines.filter((line) => line['setting'] === 'WEBHOOK_SECRET').length, 0);
    } finally {
      await close();
    }
  });
});
