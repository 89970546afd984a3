// DESIGN §4: chat text waits in STATE_DIR only while it must. Every chat's prompt and reply carry a marker with its
// id; after a night, every file of STATE_DIR is read as LevelDB stores it (raw bytes, write-ahead-log records joined,
// every table block snappy-decompressed) and the markers found must be exactly those of the chats still staged.
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Level } from 'level';
import { purgeDeleted } from '../src/store/purge.js';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { makeChat, type RawChat } from './fixtures/raw-chat.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { faultCliEnv } from './helpers/cli-env.js';
import { errorCodes, outcome } from './helpers/guarantees.ts';
import { scanForText, type ScanReport } from './helpers/raw-scan.ts';
import { runCli, type CliResult } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
const t1 = Date.parse('2026-11-23T09:00:00Z');
const marker = /SENTINEL(\d+)X/g;

/** Chats whose prompt and reply each carry `SENTINEL<id>X`, among ordinary words. */
function marked(chats: RawChat[]): RawChat[] {
  return chats.map((chat) => {
    const tag = `SENTINEL${String(chat['id'])}X`;
    return { ...chat, prompt: `${String(chat['prompt'])} ${tag}`, response: JSON.stringify({ text: `${tag} ${replyText(chat['response'])}`, sources: [], type: 'chat' }) };
  });
}

const closedChats = marked(generateChats({ count: 300, seed: 14, start: new Date(t1 - 3 * 24 * hour), end: new Date(t1 - 2 * hour), hiddenRate: 0, realNowMs: Date.now() }));
// A conversation still open at t1 (its last turn 10 minutes before), in a thread of its own.
const openChats = marked([0, 1, 2].map((i) => makeChat({ id: 1001 + i, workspaceId: 2, thread_id: 77, createdAt: new Date(t1 - (30 - 10 * i) * 60_000).toISOString() })));

/** A night; exit 0 expected unless `exit` says otherwise. Returns what was delivered and how many pages were read. */
async function night(stateDir: string, chats: RawChat[], nowMs: number, extra: Record<string, string> = {}, exit = 0): Promise<{ bodies: string[]; pagesRead: number; result: CliResult }> {
  const standIn = await startStandIn({ chats });
  const receiver = await startWebhookReceiver();
  try {
    const result = await runCli(['--now', new Date(nowMs).toISOString()], faultCliEnv(standIn, receiver, stateDir, extra));
    assert.equal(result.code, exit, outcome(result));
    return { bodies: [...receiver.accepted.values()].map((body) => JSON.stringify(body)), pagesRead: standIn.requests.length, result };
  } finally {
    await Promise.all([standIn.close(), receiver.close()]);
  }
}

/** A state key file (mode 0600) holding `key`. */
async function keyFile(key: string): Promise<string> {
  const path = join(await tempDir(), 'state-key');
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  return path;
}

function replyText(response: unknown): string {
  try {
    return String((JSON.parse(String(response)) as { text?: unknown }).text ?? '');
  } catch {
    return String(response);
  }
}

function markedIds(report: ScanReport): number[] {
  return [...new Set(report.findings.map((finding) => Number(/\d+/.exec(finding.match)?.[0])))].sort((a, b) => a - b);
}

describe('chat text at rest', () => {
  it('after a night that delivered every conversation, no file of STATE_DIR holds any of their text, compressed or not', async () => {
    const stateDir = await tempDir();
    await night(stateDir, closedChats, t1);
    const report = await scanForText(stateDir, marker);
    assert.ok(report.compressedBlocks > 0, 'the scan decompressed table blocks');
    assert.deepEqual(report.findings, [], 'no marker anywhere');
  });

  it('with one conversation left open, only its staged turns hold text; once it is delivered, nothing does', async () => {
    const stateDir = await tempDir();
    const chats = [...closedChats, ...openChats];
    await night(stateDir, chats, t1);
    const report = await scanForText(stateDir, marker);
    assert.deepEqual(markedIds(report), openChats.map((chat) => chat['id']), 'exactly the open conversation’s chats');
    assert.ok(report.findings.every((finding) => finding.file.startsWith('db/')), 'and only in the database');
    await night(stateDir, chats, t1 + 2 * hour);
    assert.deepEqual((await scanForText(stateDir, marker)).findings, [], 'delivered the next night: gone');
  });

  it('a plain compactRange keeps deleted values in a table file (why purgeDeleted exists), purgeDeleted drops them', async () => {
    const dir = await tempDir();
    const db = new Level<string, unknown>(join(dir, 'db'));
    try {
      const turns = db.sublevel<string, string>('turns', { valueEncoding: 'utf8' });
      await turns.batch(Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: String(i).padStart(4, '0'), value: `prompt SENTINEL${i}X ${'words '.repeat(20)}` })));
      await turns.batch(Array.from({ length: 200 }, (_, i) => ({ type: 'del' as const, key: String(i).padStart(4, '0') })));
      await (db as unknown as { compactRange(a: string, b: string): Promise<void> }).compactRange(turns.prefix, `${turns.prefix}~`);
      const before = await scanForText(dir, marker);
      assert.equal(markedIds(before).length, 200, 'every deleted value is still on disk');
      assert.ok(before.findings.some((finding) => finding.where.includes('snappy')), 'found compressed');
      await purgeDeleted(db, [turns.prefix]);
      assert.deepEqual((await scanForText(dir, marker)).findings, []);
      assert.deepEqual(await turns.keys().all(), [], 'and nothing came back');
    } finally {
      await db.close();
    }
  });

  describe('with a state key', () => {
    const key = 'k'.repeat(10) + Buffer.from('a state key for the text-at-rest test').toString('base64');

    it('no text is on disk in plain even while a conversation is open; the next night delivers it intact', async () => {
      const stateDir = await tempDir();
      const env = { STATE_KEY_FILE: await keyFile(key) };
      const chats = [...closedChats, ...openChats];
      await night(stateDir, chats, t1, env);
      assert.deepEqual((await scanForText(stateDir, marker)).findings, [], 'the open conversation is sealed');
      const next = await night(stateDir, chats, t1 + 2 * hour, env);
      assert.equal(next.bodies.length, 1);
      for (const chat of openChats) assert.ok(next.bodies[0]?.includes(`SENTINEL${String(chat['id'])}X`), 'its text came back from the sealed turns');
    });

    it('a sealed state without its key, or with another, is refused with exit 7 (MC_STATE_KEY) before any page is read', async () => {
      const stateDir = await tempDir();
      await night(stateDir, [...closedChats, ...openChats], t1, { STATE_KEY_FILE: await keyFile(key) });
      for (const env of [{}, { STATE_KEY_FILE: await keyFile(`${key}x`) }] as Record<string, string>[]) {
        const refused = await night(stateDir, [...closedChats, ...openChats], t1 + 2 * hour, env, 7);
        assert.deepEqual(errorCodes(refused.result), ['MC_STATE_KEY']);
        assert.equal(refused.pagesRead, 0);
        assert.ok(!refused.result.stdout.includes(key), 'the key is never logged');
      }
    });

    it('a plain state opened with a key is sealed in place, and its plain copies are purged', async () => {
      const stateDir = await tempDir();
      const chats = [...closedChats, ...openChats];
      await night(stateDir, chats, t1);
      assert.notDeepEqual((await scanForText(stateDir, marker)).findings, [], 'plain before');
      const env = { STATE_KEY_FILE: await keyFile(key) };
      await night(stateDir, chats, t1, env);
      assert.deepEqual((await scanForText(stateDir, marker)).findings, [], 'sealed after');
      const next = await night(stateDir, chats, t1 + 2 * hour, env);
      assert.equal(next.bodies.length, 1);
    });

    it('rekey seals the state with a new key: the old one is refused after, the new one delivers what waited', async () => {
      const stateDir = await tempDir();
      const chats = [...closedChats, ...openChats];
      const oldKey = { STATE_KEY_FILE: await keyFile(key) };
      await night(stateDir, chats, t1, oldKey);
      const newKeyFile = await keyFile(`${key}-the-next-one`);
      const rekey = await runCli(['rekey', '--new-state-key-file', newKeyFile], { STATE_DIR: stateDir, ...oldKey });
      assert.equal(rekey.code, 0, outcome(rekey));
      assert.deepEqual((await scanForText(stateDir, marker)).findings, [], 'still sealed');
      const refused = await night(stateDir, chats, t1 + 2 * hour, oldKey, 7);
      assert.deepEqual(errorCodes(refused.result), ['MC_STATE_KEY']);
      const next = await night(stateDir, chats, t1 + 2 * hour, { STATE_KEY_FILE: newKeyFile });
      assert.equal(next.bodies.length, 1);
      for (const chat of openChats) assert.ok(next.bodies[0]?.includes(`SENTINEL${String(chat['id'])}X`));
    });
  });
});
