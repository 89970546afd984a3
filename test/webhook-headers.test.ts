// WEBHOOK_HEADERS_FILE: `Name: value` lines, checked before anything is sent; errors name the file and the line,
// never a value; the precedence of the flag, the variable and the systemd credential.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { headerSecrets, parseHeaderLines, webhookHeaders } from '../src/config/webhook-headers.js';
import { loadConfig } from '../src/config.js';
import { McError } from '../src/errors.js';
import { tempDir } from './helpers/temp-dir.js';

const value = 'tok-3f9a7c1e5b2d4068-secret';
const refused = (text: string, message: RegExp) => {
  assert.throws(() => parseHeaderLines(text, 'WEBHOOK_HEADERS_FILE /etc/hooks.txt'), (error: unknown) => {
    assert.ok(error instanceof McError && error.code === 'MC_CONFIG', String(error));
    assert.match(error.message, message);
    assert.ok(!error.message.includes(value), `the value is not shown: ${error.message}`);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
};

describe('webhook header lines', () => {
  test('Name: value lines, blank lines and # comments skipped, CRLF read as LF, values trimmed', () => {
    assert.deepEqual(parseHeaderLines(`# n8n Header Auth\r\nAuthorization: Bearer ${value}\r\n\r\nX-API-Key:   ${value}  \n`, 'f'), { Authorization: `Bearer ${value}`, 'X-API-Key': value });
    assert.deepEqual(parseHeaderLines('', 'f'), {});
  });

  test('a bad line is one MC_CONFIG line naming the file and the line number, never the value', () => {
    refused(`X-API-Key: ${value}\nnot a header ${value}`, /^WEBHOOK_HEADERS_FILE \/etc\/hooks\.txt line 2 is not a "Name: value" header/);
    refused(`X Key: ${value}`, /^WEBHOOK_HEADERS_FILE \/etc\/hooks\.txt line 1: the header name is not a valid HTTP header name/);
    refused(`X-Key: ${value}\rInjected: 1`, /line 1: the value of X-Key holds a carriage return \(CR\)/);
    refused(`X-Key: ${value}\u0000`, /line 1: the value of X-Key holds a control character/);
    refused('# comment\nX-Key:   ', /line 2: X-Key has no value/);
    refused(`X-Key: ${value}\nx-key: ${value}`, /line 2: x-key is given twice/);
  });

  test('the headers the job sets, and the connection\'s own, cannot be overridden', () => {
    for (const name of ['Content-Type', 'Idempotency-Key', 'webhook-id', 'Webhook-Timestamp', 'webhook-signature', 'Host', 'Content-Length', 'Transfer-Encoding', 'Connection']) {
      refused(`${name}: ${value}`, new RegExp(`line 1: ${name} is set by memory-cron itself`));
    }
  });

  test('every value is scrubbed, with its credentials after an auth scheme and a Basic value decoded', () => {
    const basic = Buffer.from(`hookuser:${value}`).toString('base64');
    assert.deepEqual(headerSecrets({ Authorization: `Basic ${basic}`, 'X-API-Key': value }), [`Basic ${basic}`, basic, `hookuser:${value}`, value]);
  });

  test('precedence: --webhook-headers-file > WEBHOOK_HEADERS_FILE > $CREDENTIALS_DIRECTORY/webhook-headers; none is {}', async () => {
    const dir = await tempDir();
    const credentials = join(dir, 'credentials');
    await mkdir(credentials);
    await writeFile(join(credentials, 'webhook-headers'), 'X-From: credential\n');
    await writeFile(join(dir, 'env.txt'), 'X-From: variable\n');
    await writeFile(join(dir, 'flag.txt'), 'X-From: flag\n');
    const env = { CREDENTIALS_DIRECTORY: credentials, WEBHOOK_HEADERS_FILE: join(dir, 'env.txt') };
    assert.deepEqual(webhookHeaders({ flag: join(dir, 'flag.txt') }, env), { 'X-From': 'flag' });
    assert.deepEqual(webhookHeaders({}, env), { 'X-From': 'variable' });
    assert.deepEqual(webhookHeaders({}, { CREDENTIALS_DIRECTORY: credentials }), { 'X-From': 'credential' });
    assert.deepEqual(webhookHeaders({}, { CREDENTIALS_DIRECTORY: dir }), {}, 'no credential file: no headers');
    assert.throws(() => webhookHeaders({}, { WEBHOOK_HEADERS_FILE: join(dir, 'missing.txt') }), /^McError: cannot read WEBHOOK_HEADERS_FILE .*missing\.txt \(ENOENT\); check the path and its permissions$/);
    await writeFile(join(credentials, 'webhook-headers'), 'X-From credential\n');
    assert.throws(() => webhookHeaders({}, { CREDENTIALS_DIRECTORY: credentials }), /the webhook-headers credential \(.*webhook-headers\) line 1 is not a "Name: value" header/);
  });

  test('a WEBHOOK_URL with a user name or password is refused, pointing at WEBHOOK_HEADERS_FILE', () => {
    assert.throws(() => loadConfig({}, { BASE_URL: 'http://127.0.0.1:3001', API_KEY: 'k', WEBHOOK_URL: `http://hookuser:${value}@127.0.0.1:5678/webhook/x` }), (error: unknown) => {
      assert.ok(error instanceof McError && error.code === 'MC_CONFIG');
      assert.match(error.message, /^WEBHOOK_URL must not carry a user name or password \(http:\/\/…@127\.0\.0\.1:5678\); put the receiver's credentials in WEBHOOK_HEADERS_FILE as a header line \(Authorization: Basic …/);
      assert.ok(!error.message.includes(value));
      return true;
    });
  });

  test('a proxy variable that is not an http(s) URL is refused, naming it and nothing of its value', () => {
    for (const [name, proxy, message] of [['HTTPS_PROXY', `socks5://u:${value}@p:1080`, /^HTTPS_PROXY names a socks5:\/\/ proxy; only http:\/\/ and https:\/\/ proxies are supported$/], ['http_proxy', `http://u:${value}@[bad`, /^http_proxy is not a URL \(not shown: it may hold a password\)/]] as const) {
      assert.throws(() => loadConfig({}, { BASE_URL: 'http://127.0.0.1:3001', API_KEY: 'k', WEBHOOK_URL: 'http://127.0.0.1:5678/hook', [name]: proxy }), (error: unknown) => {
        assert.ok(error instanceof McError && error.code === 'MC_CONFIG');
        assert.match(error.message, message);
        assert.ok(!error.message.includes(value));
        return true;
      });
    }
  });
});
