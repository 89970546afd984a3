// `memory-cron check` through the built CLI: settings, page 0, and whether anything listens at WEBHOOK_URL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { cliEnv } from './helpers/cli-env.js';
import { runCli } from './helpers/run-cli.js';
import { freePort } from './helpers/free-port.js';
import { tempDir } from './helpers/temp-dir.js';

describe('memory-cron check', () => {
  it('probes WEBHOOK_URL with a HEAD: any answer (here 404) is reachable and nothing is delivered; nothing listening is exit 6 saying so', async () => {
    const end = Date.parse('2026-11-24T09:00:00Z');
    const standIn = await startStandIn({ chats: generateChats({ count: 50, seed: 8, start: new Date(end - 86_400_000), end: new Date(end), realNowMs: Date.now() }) });
    const receiver = await startWebhookReceiver();
    try {
      const stateDir = await tempDir();
      const ok = await runCli(['check'], cliEnv(standIn, receiver, stateDir));
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /"msg":"settings are valid, page 0 was read and the webhook answered a HEAD \(404\); nothing was sent"/);
      assert.equal(receiver.deliveries.length, 0, 'a HEAD delivers nothing');

      const port = await freePort();
      const token = 'hook-token-5f5f5f5f';
      const refused = await runCli(['check'], cliEnv(standIn, receiver, stateDir, { WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/${token}` }));
      assert.equal(refused.code, 6, refused.stdout + refused.stderr);
      const errors = refused.lines.filter((line) => line['level'] >= 50);
      assert.equal(errors.length, 1, refused.stdout);
      assert.equal(errors[0]?.['code'], 'MC_WEBHOOK_UNREACHABLE');
      assert.match(errors[0]?.['msg'], new RegExp(`^nothing answers at WEBHOOK_URL http://127\\.0\\.0\\.1:${port}/… \\(ECONNREFUSED\\)`));
      assert.ok(!(refused.stdout + refused.stderr).includes(token), 'the path, which may hold a token, is not shown');
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });
});
