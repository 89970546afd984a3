// DESIGN §3 "Reaching the receiver": HTTP_PROXY / http_proxy and NO_PROXY are honoured for the source and the webhook
// as curl honours them. A real forward proxy on 127.0.0.1 (test/fixtures/forward-proxy.ts) logs what it carried; its
// credentials (in the variable's URL) reach no log line.
import { strict as assert } from 'node:assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { startForwardProxy } from './fixtures/forward-proxy.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { cliEnv, secret } from './helpers/cli-env.js';
import { assertDeliveredExactly, hour, outcome, snapshotState } from './helpers/guarantees.ts';
import { runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const t1 = Date.parse('2026-11-23T09:00:00Z');
const now = new Date(t1 + 2 * hour).toISOString();
const chats = generateChats({ count: 90, seed: 61, start: new Date(t1 - 2 * 24 * hour), end: new Date(t1), realNowMs: Date.now() });
const proxyPassword = 'proxy-pass-c81f2e90d4';

describe('proxies', () => {
  it('HTTP_PROXY carries every page of the source and every POST to the webhook; its password is in no log line', async () => {
    const proxy = await startForwardProxy('night-job', proxyPassword);
    const standIn = await startStandIn({ chats: [...chats] });
    const receiver = await startWebhookReceiver({ secret });
    const logDir = await tempDir();
    try {
      const stateDir = await tempDir();
      const env = cliEnv(standIn, receiver, stateDir, { HTTP_PROXY: proxy.url, WEBHOOK_SECRET: secret, LOG_LEVEL: 'trace', LOG_DIR: logDir });
      const check = await runCli(['check'], env);
      assert.equal(check.code, 0, outcome(check));
      const pagesOfCheck = standIn.requests.length;
      const night = await runCli(['--now', now], env);
      assert.equal(night.code, 0, outcome(night));
      assertDeliveredExactly(receiver, chats, Date.parse(now), await snapshotState(stateDir));

      const endpoint = `${standIn.url}/api/v1/admin/workspace-chats`;
      assert.deepEqual(proxy.refused, [], 'every request carried the credentials');
      assert.equal(proxy.log.filter((line) => line === `POST ${endpoint}`).length, standIn.requests.length, 'every page request went through the proxy');
      assert.equal(proxy.log.filter((line) => line === `POST ${receiver.url}`).length, receiver.deliveries.length, 'every POST went through the proxy');
      assert.deepEqual(proxy.log.filter((line) => line.startsWith('HEAD ')), [`HEAD ${receiver.url}`], "check's probe too");
      assert.ok(pagesOfCheck > 0 && receiver.deliveries.length > 10);
      assert.equal(proxy.log.length, standIn.requests.length + receiver.deliveries.length + 1, 'nothing else');

      const logs = (await Promise.all((await readdir(logDir)).map((name) => readFile(join(logDir, name), 'utf8')))).join('');
      for (const [where, text] of Object.entries({ check: check.stdout + check.stderr, run: night.stdout + night.stderr, 'LOG_DIR': logs, 'status.json': await readFile(join(stateDir, 'status.json'), 'utf8') })) {
        assert.ok(!text.includes(proxyPassword), `${where} holds the proxy's password`);
      }
    } finally {
      await Promise.all([proxy.close(), standIn.close(), receiver.close()]);
    }
  });

  it('NO_PROXY naming the webhook (host:port) sends its POSTs directly while the pages still go through http_proxy', async () => {
    const proxy = await startForwardProxy('night-job', proxyPassword);
    const standIn = await startStandIn({ chats: [...chats] });
    const receiver = await startWebhookReceiver({ secret });
    try {
      const stateDir = await tempDir();
      const port = new URL(receiver.url).port;
      const night = await runCli(['--now', now], cliEnv(standIn, receiver, stateDir, { http_proxy: proxy.url, NO_PROXY: `example.internal, 127.0.0.1:${port}`, WEBHOOK_SECRET: secret }));
      assert.equal(night.code, 0, outcome(night));
      assertDeliveredExactly(receiver, chats, Date.parse(now), await snapshotState(stateDir));
      assert.ok(proxy.log.length > 0 && proxy.log.every((line) => line === `POST ${standIn.url}/api/v1/admin/workspace-chats`), `only the pages went through the proxy: ${proxy.log.slice(0, 3)}`);
      assert.equal(proxy.log.length, standIn.requests.length);
    } finally {
      await Promise.all([proxy.close(), standIn.close(), receiver.close()]);
    }
  });

  it('NO_PROXY=* sends everything directly', async () => {
    const proxy = await startForwardProxy('night-job', proxyPassword);
    const standIn = await startStandIn({ chats: [...chats] });
    const receiver = await startWebhookReceiver();
    try {
      const night = await runCli(['--now', now], cliEnv(standIn, receiver, await tempDir(), { HTTP_PROXY: proxy.url, no_proxy: '*' }));
      assert.equal(night.code, 0, outcome(night));
      assert.deepEqual([proxy.log, proxy.refused], [[], []]);
      assert.ok(receiver.accepted.size > 10);
    } finally {
      await Promise.all([proxy.close(), standIn.close(), receiver.close()]);
    }
  });

  it('a proxy refusing the credentials: the source fails with a 407 named; the webhook\'s conversations are parked saying which setting to fix; the password in no line', async () => {
    const proxy = await startForwardProxy('night-job', proxyPassword);
    const standIn = await startStandIn({ chats: [...chats] });
    const receiver = await startWebhookReceiver();
    try {
      const wrong = proxy.url.replace(encodeURIComponent(proxyPassword), 'wrong-password-9e1d');
      const night = await runCli(['--now', now], cliEnv(standIn, receiver, await tempDir(), { HTTP_PROXY: wrong }));
      assert.notEqual(night.code, 0, outcome(night));
      assert.match(night.stdout + night.stderr, /407/);
      assert.ok(!(night.stdout + night.stderr).includes('wrong-password-9e1d'));
      assert.equal(receiver.deliveries.length, 0);

      const stateDir = await tempDir();
      const direct = await runCli(['--now', now], cliEnv(standIn, receiver, stateDir, { HTTP_PROXY: wrong, NO_PROXY: `127.0.0.1:${new URL(standIn.url).port}` }));
      assert.equal(direct.code, 6, outcome(direct));
      assert.equal(receiver.deliveries.length, 0, 'the proxy let no POST through');
      const parked = (await snapshotState(stateDir)).outbox.filter((entry) => entry.status === 'parked');
      assert.ok(parked.length > 0 && parked.every((entry) => entry.lastError === 'HTTP 407 from the proxy: it refused its credentials; check the user and password in HTTPS_PROXY or HTTP_PROXY (http://user:pass@proxy:3128)'), JSON.stringify(parked[0]?.lastError));
      assert.ok(!(direct.stdout + direct.stderr).includes('wrong-password-9e1d'));
    } finally {
      await Promise.all([proxy.close(), standIn.close(), receiver.close()]);
    }
  });
});
