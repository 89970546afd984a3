// DESIGN §4: chat text waits in STATE_DIR only while it must. Every chat's prompt and reply carry a marker with its
// id; after a night, every file of STATE_DIR is read as LevelDB stores it (raw bytes, write-ahead-log records joined,
// every table block snappy-decompressed) and the markers found must be exactly those of the chats still staged.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Level } from 'level';
import { purgeDeleted } from '../src/state/purge.js';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { makeChat, type RawChat } from './fixtures/raw-chat.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { cliEnv, outcome } from './helpers/promises.ts';
import { scanForText, type ScanReport } from './helpers/raw-scan.ts';
import { runCli } from './helpers/run-cli.js';
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

async function night(stateDir: string, chats: RawChat[], nowMs: number, extra: Record<string, string> = {}): Promise<void> {
  const standIn = await startStandIn({ chats });
  const receiver = await startWebhookReceiver();
  try {
    const result = await runCli(['--now', new Date(nowMs).toISOString()], cliEnv(standIn, receiver, stateDir, extra));
    assert.equal(result.code, 0, outcome(result));
  } finally {
    await Promise.all([standIn.close(), receiver.close()]);
  }
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
});
