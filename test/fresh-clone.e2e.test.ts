// A fresh clone works with the defaults (DESIGN §4): git checks out ./state as a 0755 folder holding only .gitkeep,
// and a `run` with STATE_DIR unset takes it as it is — no chmod, no --fix-permissions — making it owner-only.
import { strict as assert } from 'node:assert';
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { errorCodes, outcome } from './helpers/guarantees.ts';
import { cliPath, runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
const now = Date.parse('2026-11-23T09:00:00Z');

/** A folder laid out as a clone leaves the checkout's ./state under umask 022: 0755, with a 0644 .gitkeep. */
async function cloneLikeCheckout(): Promise<string> {
  const checkout = await tempDir('memory-cron-clone-');
  await mkdir(join(checkout, 'state'));
  await chmod(join(checkout, 'state'), 0o755);
  await writeFile(join(checkout, 'state', '.gitkeep'), '', { mode: 0o644 });
  return checkout;
}

describe('a fresh clone with the defaults', () => {
  it('run with STATE_DIR unset uses ./state as the clone left it, exits 0, and leaves it owner-only; status then reads it', async () => {
    const checkout = await cloneLikeCheckout();
    const standIn = await startStandIn({ chats: generateChats({ count: 60, seed: 5, start: new Date(now - 48 * hour), end: new Date(now - 2 * hour), realNowMs: Date.now() }) });
    const receiver = await startWebhookReceiver();
    const program = { node: process.execPath, cli: cliPath, cwd: checkout };
    try {
      const env = { BASE_URL: standIn.url, API_KEY: standIn.apiKey, WEBHOOK_URL: receiver.url, RETRY_MIN_DELAY: '10' };
      const ran = await runCli(['run', '--now', new Date(now).toISOString()], env, program);
      assert.equal(ran.code, 0, outcome(ran));
      assert.deepEqual(errorCodes(ran), []);
      assert.ok(receiver.deliveries.length > 0, 'conversations were delivered');
      const stateDir = join(checkout, 'state');
      assert.equal((await stat(stateDir)).mode & 0o777, 0o700, './state is owner-only now');
      assert.ok((await readdir(stateDir)).includes('status.json'), 'the state lives in ./state');
      const status = await runCli(['status', '--json'], {}, program);
      assert.equal(status.code, 0, outcome(status));
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });
});
