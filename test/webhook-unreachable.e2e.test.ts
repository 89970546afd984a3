// DESIGN §3 "Reaching the receiver": nothing listening at WEBHOOK_URL on the night's first deliveries stops delivery
// at once with MC_WEBHOOK_UNREACHABLE (exit 6), without backoff retries; nothing is parked or dead, and the next run
// against a live receiver sends everything once. Behaviour is asserted (POSTs, retries, the outbox), never wall time.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { cliEnv, secret } from './helpers/cli-env.js';
import { assertDeliveredExactly, errorCodes, hour, outcome, snapshotState } from './helpers/guarantees.ts';
import { freePort } from './helpers/free-port.js';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';
import { threadConversations } from './helpers/thread-conversations.ts';

const base = Date.parse('2026-11-23T06:00:00Z');
const now = new Date(base + 24 * hour).toISOString();
// Twelve conversations of two turns, each in its own thread: more than CONCURRENCY, more than the breaker's ten.
const chats = threadConversations(12, base);

describe('an unreachable webhook', () => {
  it('nothing listening: delivery stops at once with MC_WEBHOOK_UNREACHABLE, no retry, nothing dead or parked; the next run sends everything once', async () => {
    const standIn = await startStandIn({ chats: [...chats] });
    const port = await freePort();
    const stateDir = await tempDir();
    // The default retry policy (RETRIES 5, RETRY_MIN_DELAY 1 s): a retried POST would log a warning and wait.
    const env = { ...cliEnv(standIn, undefined, stateDir, { WEBHOOK_URL: `http://127.0.0.1:${port}/hook`, WEBHOOK_SECRET: secret }), RETRY_MIN_DELAY: '1000', RETRIES: '5', CONCURRENCY: '4' };
    try {
      const night = await runCli(['--now', now], env);
      assert.equal(night.code, 6, outcome(night));
      assert.deepEqual(errorCodes(night), ['MC_WEBHOOK_UNREACHABLE', 'MC_WEBHOOK_UNREACHABLE'], 'the moment it stopped, and the run\'s last line');
      assert.equal(night.lines.filter((line) => /retrying/.test(String(line['msg']))).length, 0, 'no POST was retried');
      const last = String(night.lines.at(-1)?.['msg']);
      assert.match(last, new RegExp(`^nothing answers at WEBHOOK_URL http://127\\.0\\.0\\.1:${port}/… \\(POST http://127\\.0\\.0\\.1:${port}/…: ECONNREFUSED\\): is the memory webhook running, and is WEBHOOK_URL right\\? Try \`memory-cron check\`\\. Delivery stopped at once, without retries: the 12 closed conversations not delivered wait, neither dead nor parked, for the next run$`));
      const conversations = summaryOf(night)?.['conversations'];
      assert.deepEqual([conversations?.['sent'], conversations?.['dead'], conversations?.['parked'], conversations?.['waiting'], conversations?.['unreachable'], conversations?.['webhookDown']], [0, 0, 0, 12, true, false]);
      const state = await snapshotState(stateDir);
      assert.ok(state.outbox.length >= 1 && state.outbox.length <= 4, `at most CONCURRENCY conversations were frozen and tried (${state.outbox.length})`);
      assert.deepEqual(state.outbox.map((entry) => [entry.status, entry.attempts]), state.outbox.map(() => ['pending', 0]), 'the ones tried wait, pending, with no failure counted');
      assert.equal(state.sent.size, 0);

      const receiver = await startWebhookReceiver({ secret, port });
      try {
        const next = await runCli(['--now', now], env);
        assert.equal(next.code, 0, outcome(next));
        assertDeliveredExactly(receiver, chats, Date.parse(now), await snapshotState(stateDir));
        assert.equal(receiver.deliveries.length, 12, 'each conversation POSTed once');
      } finally {
        await receiver.close();
      }
    } finally {
      await standIn.close();
    }
  });
});
