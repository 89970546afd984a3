import assert from 'node:assert/strict';
import { chmod, cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Level } from 'level';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat } from './fixtures/raw-chat.ts';
import { schema3Chats, schema3Night } from './fixtures/schema-3-chats.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, chatKey, cliEnv } from './helpers/cli-env.js';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const fixture = fileURLToPath(new URL('./fixtures/state-schema-2', import.meta.url));
const schema3 = fileURLToPath(new URL('./fixtures/state-schema-3', import.meta.url));
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

// A copy of a fixture STATE_DIR, owner-only as the unit's StateDirectory= leaves it (a checkout's copy is not).
async function copyOf(source: string): Promise<string> {
  const stateDir = join(await tempDir(), 'state');
  await cp(source, stateDir, { recursive: true });
  for (const dir of [stateDir, join(stateDir, 'db')]) {
    await chmod(dir, 0o700);
    for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isFile()) await chmod(join(dir, entry.name), 0o600);
  }
  return stateDir;
}

describe('upgrading a schema-2 state (DESIGN §4)', () => {
  it("status reads it as is; the next night migrates it and sends the two users' open default-thread turns as two conversations", async () => {
    const stateDir = await copyOf(fixture);
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

describe('upgrading a schema-3 state (DESIGN §1 "A chat\'s identity", §4)', () => {
  it('the next night, against a source restored from a backup, sends the dead letter and the new chats once each and resends nothing', async () => {
    const stateDir = await copyOf(schema3);
    const before = await runCli(['status', '--json'], { STATE_DIR: stateDir });
    assert.equal(JSON.parse(before.stdout).cursor?.id, 65, 'status reads the schema-3 state unchanged');

    // The restore lost ids 51–65 (thread 2's last ten open chats, and the dead letter's); 30 new chats of thread 4
    // took ids 51–80 after it, other text, newer times.
    const kept = schema3Chats().filter((chat) => chat.id <= 50);
    const written = Array.from({ length: 30 }, (_, i) => makeChat({ id: 51 + i, thread_id: 4, user_id: 3, createdAt: iso(schema3Night + 60 * minute + i * 2 * minute), prompt: `after the restore ${i}` }));
    const standIn = await startStandIn({ chats: [...kept, ...written] });
    const receiver = await startWebhookReceiver();
    try {
      const result = await runCli(['run', '--now', iso(schema3Night + 24 * 60 * minute)], cliEnv(standIn, receiver, stateDir));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const bodies = receiver.deliveries.filter((d) => d.status === 200).map((d) => d.body);
      assert.deepEqual(bodies.map((b) => chatKey(chatIdsOf(b))).sort(), [
        '41,42,43,44,45,46,47,48,49,50', // thread 2 without its lost chats
        Array.from({ length: 30 }, (_, i) => 51 + i).join(','), // the new chats, once
        '61,62,63,64,65', // the dead letter, as frozen
      ].sort());
      assert.equal(new Set(bodies.map((b) => b.id)).size, 3);
      const summary = summaryOf(result);
      assert.equal(summary?.['chats']?.reusedIds, 15, 'ids 51–65 were reused');
      assert.equal(summary?.['chats']?.changedAfterSend, 0);
      assert.equal(result.stdout.split('\n').filter((line) => line.includes('"code":"MC_SOURCE_REWOUND"')).length, 1);
      const status = JSON.parse((await runCli(['status', '--json'], { STATE_DIR: stateDir })).stdout);
      assert.equal(status.source, standIn.url);
      assert.equal(status.lastRun.chats.reusedIds, 15);
    } finally {
      await standIn.close();
      await receiver.close();
    }
    const db = new Level<string, unknown>(join(stateDir, 'db'), { valueEncoding: 'json' });
    try {
      assert.equal(await db.sublevel('meta', { valueEncoding: 'json' }).get('schema'), 4);
    } finally {
      await db.close();
    }
  });
});
