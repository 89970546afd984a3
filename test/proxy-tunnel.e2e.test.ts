// HTTPS_PROXY for an https:// webhook: the POSTs go through CONNECT tunnels of a real forward proxy on 127.0.0.1, TLS
// end to end (a self-signed certificate for 127.0.0.1, made with openssl and trusted through NODE_EXTRA_CA_CERTS), and
// the tunnels are kept alive: far fewer CONNECTs than POSTs. Skipped where openssl is missing.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { startForwardProxy } from './fixtures/forward-proxy.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { hour, outcome } from './helpers/guarantees.ts';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const t1 = Date.parse('2026-11-23T09:00:00Z');
const chats = generateChats({ count: 120, seed: 63, start: new Date(t1 - 2 * 24 * hour), end: new Date(t1), realNowMs: Date.now() });

function openssl(args: string[]): boolean {
  try {
    execFileSync('openssl', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('an https webhook through HTTPS_PROXY', () => {
  it('every POST goes through a CONNECT tunnel, and the receiver gets each conversation once', async (t) => {
    const dir = await tempDir();
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    if (!openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])) return t.skip('openssl is not available');
    const keys: string[] = [];
    const receiver = createServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
      req.resume();
      req.on('end', () => {
        keys.push(String(req.headers['idempotency-key']));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const proxy = await startForwardProxy('night-job', 'tunnel-pass-7f3a');
    const standIn = await startStandIn({ chats: [...chats] });
    try {
      const env = { BASE_URL: standIn.url, API_KEY: standIn.apiKey, WEBHOOK_URL: hook, STATE_DIR: await tempDir(), HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: cert, CONCURRENCY: '4' };
      const night = await runCli(['--now', new Date(t1 + 2 * hour).toISOString()], env);
      assert.equal(night.code, 0, outcome(night));
      const sent = summaryOf(night)?.['conversations']['sent'];
      assert.ok(sent > 10);
      assert.deepEqual([keys.length, new Set(keys).size], [sent, sent], 'each conversation once');
      const connects = proxy.log.filter((line) => line === `CONNECT 127.0.0.1:${new URL(hook).port}`);
      assert.equal(connects.length, proxy.log.length, `only the webhook's tunnels went through the proxy (the http:// source has no HTTP_PROXY): ${proxy.log.slice(0, 3)}`);
      assert.ok(connects.length >= 1 && connects.length <= sent, `${connects.length} CONNECTs for ${sent} POSTs`);
      await t.test('the tunnels are kept alive: far fewer CONNECTs than POSTs', () => {
        assert.ok(connects.length <= 4, `tunnels kept alive: ${connects.length} CONNECTs for ${sent} POSTs`);
      });
    } finally {
      receiver.closeAllConnections();
      await Promise.all([proxy.close(), standIn.close(), new Promise<void>((resolve) => receiver.close(() => resolve()))]);
    }
  });
});
