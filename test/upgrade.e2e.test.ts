import assert from 'node:assert/strict';
import { chmod, cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Level } from 'level';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat } from './fixtures/raw-chat.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, chatKey, cliEnv } from './helpers/cli-env.js';
import { runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const fixture = fileURLToPath(new URL('./fixtures/state-schema-2', import.meta.url));
const t0 = Date.parse('2026-11-10T15:00:00Z');
const minute = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const alice = { user_id: 1, user: { username: 'alice' } };
const bob = { user_id: 2, user: { username: 'bob' } };
// The eight chats the schema-2 release read (see fixtures/state-schema-2/README.md), as AnythingLLM still serves them.
const chats = [
  makeChat({ id: 1, createdAt: iso(t0 - 300 * minute), thread_id: 5, ...alice }),
  makeChat({ id: 2, createdAt: iso(t0 - 290 * minute), thread_id: 5, ...alice }),
  makeChat({ id: 3, createdAt: iso(t0 - 240 * minute), ...bob }),
  makeChat({ id: 4, createdAt: iso(t0), ...alice, prompt: 'alice: my address is 12 Elm St' }),
  makeChat({ id: 5, createdAt: iso(t0 + 5 * minute), ...bob, prompt: 'bob: I eat no gluten' }),
  makeChat({ id: 6, createdAt: iso(t0 + 10 * minute), ...alice, prompt: 'alice: and I have a cat' }),
  makeChat({ id: 7, createdAt: iso(t0 + 15 * minute), ...bob, prompt: 'bob: nor dairy' }),
  makeChat({ id: 8, createdAt: iso(t0 + 20 * minute), thread_id: 5, ...alice }),
];

describe('upgrading a schema-2 state (DESIGN §4)', () => {
  it("status reads it as is; the next night migrates it and sends the two users' open default-thread turns as two conversations", async () => {
    const stateDir = join(await tempDir(), 'state');
    await cp(fixture, stateDir, { recursive: true });
    // As the unit's StateDirectory= leaves it: owner-only (a checkout's copy is not).
    for (const dir of [stateDir, join(stateDir, 'db')]) {
      await chmod(dir, 0o700);
      for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isFile()) await chmod(join(dir, entry.name), 0o600);
    }
    const before = await runCli(['status', '--json'], { STATE_DIR: stateDir });
    assert.equal(before.code, 0, before.stdout + before.stderr);
    assert.equal(JSON.parse(before.stdout).cursor?.id, 8, 'status reads the schema-2 state unchanged');

    const standIn = await startStandIn({ chats });
    const receiver = await startWebhookReceiver();
    try {
      const result = await runCli(['run', '--now', iso(t0 + 3 * 60 * minute)], cliEnv(standIn, receiver, stateDir));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const bodies = receiver.deliveries.filter((d) => d.status === 200).map((d) => d.body);
      assert.deepEqual(
        bodies.map((b) => [chatKey(chatIdsOf(b)), b.user]).sort(),
        [
          ['4,6', { id: 1, username: 'alice' }],
          ['5,7', { id: 2, username: 'bob' }],
          ['8', { id: 1, username: 'alice' }],
        ],
      );
    } finally {
      await standIn.close();
      await receiver.close();
    }

    const after = await runCli(['status', '--json'], { STATE_DIR: stateDir });
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.equal(JSON.parse(after.stdout).lastRun?.exitCode, 0);
    const letters = await runCli(['dead-letters', '--json'], { STATE_DIR: stateDir });
    assert.equal(letters.code, 0, letters.stdout + letters.stderr);

    const db = new Level<string, unknown>(join(stateDir, 'db'), { valueEncoding: 'json' });
    try {
      assert.equal(await db.sublevel('meta', { valueEncoding: 'json' }).get('schema'), 4);
      assert.deepEqual(await db.sublevel('threads').keys().all(), [], "schema 2's per-thread records are gone");
      const index = await db.sublevel('histories').keys().all();
      assert.ok(index.some((key) => key.startsWith('0000000000000001:0000000000000005:')), "thread 5's sent conversation carried over into its history's index");
    } finally {
      await db.close();
    }
  });
});
