// DESIGN §4: `status` shows the outbox after any kind of stop. A run stopped by SIGTERM mid-delivery writes the dead,
// parked and pending conversations it leaves into status.json, so `status` agrees with `dead-letters`.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { startWebhookReceiver, type Reply } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, cliEnv } from './helpers/cli-env.js';
import { hour, outcome, until } from './helpers/guarantees.ts';
import { runCli, startCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';
import { threadConversations } from './helpers/thread-conversations.ts';

const base = Date.parse('2026-11-23T06:00:00Z');
const now = new Date(base + 24 * hour).toISOString();
// Eight conversations, each in its own thread, oldest first: chat 2i+1 opens the i-th.
const chats = threadConversations(8, base);

describe('status after a stop', () => {
  it('SIGTERM mid-delivery: status counts the dead, parked and pending conversations dead-letters lists', async () => {
    const standIn = await startStandIn({ chats: [...chats] });
    // One at a time, oldest first: three 503s (dead), two 422s (parked), one accepted, then one that never answers.
    const receiver = await startWebhookReceiver({
      respond: (delivery): Reply => {
        const first = chatIdsOf(delivery.body)[0] ?? 0;
        if (first <= 5) return { status: 503 };
        if (first <= 9) return { status: 422, body: 'unprocessable' };
        if (first === 11) return { status: 200 };
        return { status: 200, delayMs: 60_000 };
      },
    });
    const stateDir = await tempDir();
    try {
      const env = cliEnv(standIn, receiver, stateDir, { CONCURRENCY: '1', RETRIES: '0' });
      const run = startCli(['--now', now], env);
      await until(() => receiver.deliveries.some((d) => chatIdsOf(d.body)[0] === 13), 20_000, 'the seventh conversation in flight');
      run.child.kill('SIGTERM');
      const stopped = await run.done;
      assert.equal(stopped.code, 143, outcome(stopped));

      const status = await runCli(['status', '--json'], { STATE_DIR: stateDir });
      const counts = JSON.parse(status.stdout)['counts'];
      const letters = JSON.parse((await runCli(['dead-letters', '--json'], { STATE_DIR: stateDir })).stdout) as { pending: number; deadLetters: { status: string }[] };
      const listed = { dead: letters.deadLetters.filter((l) => l.status === 'dead').length, parked: letters.deadLetters.filter((l) => l.status === 'parked').length, pending: letters.pending };
      assert.deepEqual(listed, { dead: 3, parked: 2, pending: 1 });
      assert.deepEqual({ dead: counts['deadLetters'], parked: counts['parked'], pending: counts['pending'] }, listed, 'status agrees with dead-letters');
      const table = await runCli(['status'], { STATE_DIR: stateDir });
      assert.match(table.stdout, /^dead letters +3 dead · 2 parked · 1 pending  \(memory-cron dead-letters\)$/m);
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });
});
