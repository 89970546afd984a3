// DESIGN §4 against a damaged STATE_DIR: garbage values in each sublevel, flipped bytes in LevelDB's table and log
// files, a deleted CURRENT, a read-only folder and a full disk. Each run refuses with exit 7 and a line naming the
// problem and what to do, never starting afresh; doing what the line says (restore the backup, free space) then lets
// the next run finish with nothing lost and nothing sent twice.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Level } from 'level';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { makeChat } from './fixtures/raw-chat.ts';
import { startWebhookReceiver, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, faultCliEnv, secret } from './helpers/cli-env.js';
import { assertDeliveredExactly, errorCodes, hour, outcome, snapshotState } from './helpers/guarantees.ts';
import { cliPath, runCli, type CliResult } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';
import { padId } from '../src/domain/fixed-width.js';

const t1 = Date.parse('2026-11-23T09:00:00Z');
const t2 = t1 + 24 * hour;
const realNowMs = Date.now();
// Night one ends with a conversation still open at t1, whose turns stay staged.
const stillOpen = [0, 1, 2].map((i) => makeChat({ id: 201 + i, workspaceId: 2, thread_id: 99, createdAt: new Date(t1 - (30 - 10 * i) * 60_000).toISOString() }));
const nightOne = [...generateChats({ count: 200, seed: 31, start: new Date(t1 - 2 * 24 * hour), end: new Date(t1), realNowMs }), ...stillOpen];
const nightTwo = generateChats({ count: 60, seed: 32, start: new Date(t1 + hour), end: new Date(t2 - hour), firstId: 211, realNowMs });
const all = [...nightOne, ...nightTwo];
const isDeadOnNightOne = (body: { messages: { chatId: number }[] }) => chatIdsOf(body).includes(nightOne[0]?.['id'] as number);

const figures = { kinds: [] as string[], refusedWith7: 0, silentResets: 0 };

describe('a damaged STATE_DIR', { concurrency: 2 }, () => {
  let baselineDir: string;
  let baselineSent: number[][];

  before(async () => {
    // Night one leaves sent conversations, open turns, a dead letter, a cursor: something of every kind to damage.
    const standIn = await startStandIn({ chats: [...nightOne] });
    const receiver = await startWebhookReceiver({ secret, respond: (delivery) => (isDeadOnNightOne(delivery.body) ? { status: 503 } : { status: 200 }) });
    try {
      baselineDir = await mkdtemp(join(tmpdir(), 'memory-cron-baseline-'));
      const night = await runCli(['--now', new Date(t1).toISOString()], faultCliEnv(standIn, receiver, baselineDir, { RETRIES: '0' }));
      assert.equal(night.code, 6, outcome(night));
      const state = await snapshotState(baselineDir);
      assert.ok(state.outbox.length === 1 && state.turns.length > 0 && state.cursor !== undefined, 'night one left something of every kind');
      baselineSent = [...receiver.accepted.values()].map((body) => chatIdsOf(body));
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });

  after(async () => {
    await rm(baselineDir, { recursive: true, force: true });
    console.log(`guarantees: state damage kinds ${figures.kinds.length} (${figures.kinds.join(', ')}): refused with exit 7 ${figures.refusedWith7}, silent resets ${figures.silentResets}`);
  });

  /** A copy of night one's STATE_DIR, night two's chats on a fresh stand-in and receiver. */
  async function nightTwoOn(): Promise<{ stateDir: string; standIn: StandIn; receiver: Receiver; close(): Promise<void> }> {
    const stateDir = await tempDir();
    await cp(baselineDir, stateDir, { recursive: true });
    const standIn = await startStandIn({ chats: [...all] });
    const receiver = await startWebhookReceiver({ secret });
    return { stateDir, standIn, receiver, close: () => Promise.all([standIn.close(), receiver.close()]).then(() => undefined) };
  }

  /** The refused run: exit 7, one error line with `code` saying what to do, nothing posted, nothing reset. */
  async function assertRefused(result: CliResult, code: string, todo: RegExp, night: { stateDir: string; receiver: Receiver }, kind: string, posted = 0): Promise<void> {
    if (result.code === 0) figures.silentResets++;
    assert.equal(result.code, 7, outcome(result));
    const lines = result.lines.filter((line) => line['level'] >= 50);
    assert.deepEqual(errorCodes(result), [code], outcome(result));
    assert.match(String(lines.at(-1)?.['msg']), todo, 'the line says what to do');
    assert.ok(String(lines.at(-1)?.['msg']).includes(night.stateDir), 'the line names STATE_DIR');
    assert.ok(night.receiver.deliveries.length <= posted, 'nothing was sent afresh');
    figures.refusedWith7++;
    figures.kinds.push(kind);
  }

  /** Restores STATE_DIR from the backup (night one), runs night two, and checks it completes exactly. */
  async function restoreAndFinish(night: { stateDir: string; standIn: StandIn; receiver: Receiver }): Promise<void> {
    await rm(night.stateDir, { recursive: true, force: true });
    await cp(baselineDir, night.stateDir, { recursive: true });
    const next = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, night.stateDir));
    assert.equal(next.code, 0, outcome(next));
    assertDeliveredExactly(night.receiver, all, t2, await snapshotState(night.stateDir), { realNowMs, sentBefore: baselineSent });
  }

  const damageTo = {
    'the cursor': { sublevel: 'meta', key: async () => 'cursor' },
    "a chat's mark": { sublevel: 'chats', key: async () => padId(Math.max(...nightOne.map((c) => c['id'] as number))) },
    'a staged turn': { sublevel: 'turns', key: async (db: Level<string, unknown>) => (await db.sublevel('turns').keys({ limit: 1 }).all())[0] },
    'a dead letter': { sublevel: 'outbox', key: async (db: Level<string, unknown>) => (await db.sublevel('outbox').keys({ limit: 1 }).all())[0] },
    // Every entry: night two reads only the latest one before each conversation it sends, in the histories it extends.
    "a history's index of sent conversations": { sublevel: 'histories', key: async (db: Level<string, unknown>) => await db.sublevel('histories').keys().all() },
  };
  for (const [what, { sublevel, key }] of Object.entries(damageTo)) {
    it(`garbage bytes in ${what} (sublevel ${sublevel}): exit 7 naming the damage, and a restored backup finishes the night`, async () => {
      const night = await nightTwoOn();
      try {
        const db = new Level<string, unknown>(join(night.stateDir, 'db'));
        try {
          const keys = [await key(db)].flat();
          assert.ok(keys.length > 0 && keys.every((k) => k !== undefined), `night one left a key in ${sublevel}`);
          for (const k of keys) await db.sublevel<string, Buffer>(sublevel, { valueEncoding: 'buffer' }).put(k as string, Buffer.from([0xff, 0x00, 0x7b, 0x22, 0xfe]));
        } finally {
          await db.close();
        }
        const result = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, night.stateDir));
        // A damaged value is found when it is read: the cursor first thing, a mark while staging, the rest while delivering.
        await assertRefused(result, 'MC_STATE_DAMAGED', /restore .* from a backup/, night, `garbage in ${sublevel}`, sublevel === 'meta' || sublevel === 'chats' ? 0 : Infinity);
        if (sublevel === 'meta') assert.equal(night.standIn.requests.length, 0, 'a damaged cursor is found before any page is read');
        if (sublevel === 'outbox') {
          const letters = await runCli(['dead-letters'], { STATE_DIR: night.stateDir });
          assert.equal(letters.code, 7, `dead-letters names the damage, not a bug: ${letters.stdout}${letters.stderr}`);
          assert.match(letters.stderr, /MC_STATE_DAMAGED/);
        }
        if (sublevel === 'chats') {
          // reconcile reads the marks as a night does: the same state error, not exit 1 "a bug".
          const reconciled = await runCli(['reconcile'], faultCliEnv(night.standIn, night.receiver, night.stateDir));
          assert.equal(reconciled.code, 7, `reconcile names the damage, not a bug: ${outcome(reconciled)}`);
          assert.deepEqual(errorCodes(reconciled), ['MC_STATE_DAMAGED'], outcome(reconciled));
        }
        if (sublevel === 'turns') {
          // rekey reads every text value: the same state error, and the state is left as it was.
          const keyFile = join(await tempDir(), 'new-state-key');
          await writeFile(keyFile, 'k'.repeat(44), { mode: 0o600 });
          const rekeyed = await runCli(['rekey', '--new-state-key-file', keyFile], { STATE_DIR: night.stateDir });
          assert.equal(rekeyed.code, 7, `rekey names the damage, not a bug: ${outcome(rekeyed)}`);
          assert.match(rekeyed.stdout + rekeyed.stderr, /MC_STATE_DAMAGED/);
        }
        await restoreAndFinish(night);
      } finally {
        await night.close();
      }
    });
  }

  it('flipped bytes in a LevelDB table (.ldb): exit 7, and a restored backup finishes the night', async () => {
    const night = await nightTwoOn();
    try {
      // Reopening moves night one's log into a table file.
      const db = new Level(join(night.stateDir, 'db'));
      await db.open();
      await db.close();
      // The largest table: it holds the marks and turns a run reads (a small one may hold only what no run reads).
      const tables = (await readdir(join(night.stateDir, 'db'))).filter((name) => name.endsWith('.ldb'));
      const sizes = await Promise.all(tables.map(async (name) => (await stat(join(night.stateDir, 'db', name))).size));
      const table = tables[sizes.indexOf(Math.max(...sizes))];
      assert.ok(table !== undefined, 'a table file exists');
      await flipBytes(join(night.stateDir, 'db', table));
      await flipBytes(join(night.stateDir, 'db', table), 6); // and a sixth in, among the chats' marks the run reads
      // A re-read window over all history makes the run read every chat's mark, wherever the flipped block falls
      // (damage in a block no run reads stays unseen; marks grew a digest, which moved what lies a third in).
      const result = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, night.stateDir, { REREAD_WINDOW: '3650d' }));
      await assertRefused(result, 'MC_STATE_DAMAGED', /restore .* from a backup/, night, 'flipped bytes in a table file', Infinity);
      await restoreAndFinish(night);
    } finally {
      await night.close();
    }
  });

  it('flipped bytes in the LevelDB log: exit 7 on this run and every next one until the backup is restored, not a silent loss', async () => {
    const night = await nightTwoOn();
    try {
      // A night that finishes leaves its log empty (its compaction flushed every write into tables): what lies in a
      // log is a stopped run's writes. Night two, killed once its pages are staged and its cursor written, before
      // anything is frozen or compacted, leaves them there; it pages from a stand-in and posts to a receiver of its own.
      const killedSource = await startStandIn({ chats: [...all] });
      const killedReceiver = await startWebhookReceiver({ secret });
      try {
        const killed = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(killedSource, killedReceiver, night.stateDir, { MEMORY_CRON_TEST_KILL_AT: 'cursor-written' }));
        assert.equal(killed.signal, 'SIGKILL', `the run was killed once its cursor was written: ${outcome(killed)}`);
      } finally {
        await Promise.all([killedSource.close(), killedReceiver.close()]);
      }
      const log = (await readdir(join(night.stateDir, 'db'))).find((name) => /^\d+\.log$/.test(name));
      assert.ok(log !== undefined, "the killed run's writes are in a log file");
      // The bytes flipped are the cursor's key in the record that moved it: the first thing a run reads.
      await flipRecordOf(join(night.stateDir, 'db', log), '!meta!cursor');
      const result = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, night.stateDir));
      await assertRefused(result, 'MC_STATE_DAMAGED', /left out unreadable parts of its log .* restore .* from a backup, or delete .*damaged\.json/, night, 'flipped bytes in the log');
      const files = await listing(join(night.stateDir, 'db'));
      const again = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, night.stateDir));
      assert.equal(again.code, 7, `the next run refuses too: ${outcome(again)}`);
      assert.deepEqual(await listing(join(night.stateDir, 'db')), files, 'and leaves the database alone');
      assert.equal(night.standIn.requests.length, 0, 'no page was read');
      await restoreAndFinish(night);
    } finally {
      await night.close();
    }
  });

  it('a deleted CURRENT file: exit 7, the database left as it was, never a fresh start', async () => {
    const night = await nightTwoOn();
    try {
      await rm(join(night.stateDir, 'db', 'CURRENT'));
      const files = await listing(join(night.stateDir, 'db'));
      const result = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, night.stateDir));
      await assertRefused(result, 'MC_STATE_DAMAGED', /CURRENT is missing; restore .* from a backup/, night, 'deleted CURRENT');
      assert.deepEqual(await listing(join(night.stateDir, 'db')), files, 'no file was written or deleted');
      assert.equal(night.standIn.requests.length, 0, 'no page was read');
      await restoreAndFinish(night);
    } finally {
      await night.close();
    }
  });

  it('a read-only STATE_DIR: exit 7 saying to fix permissions, and the run after the fix finishes the night', async (t) => {
    const night = await nightTwoOn();
    // Root writes through chmod: as root, make the folder a read-only bind mount (which stops root too), or,
    // where mounting is not allowed, run the CLI as "nobody", whom the mode bits do stop.
    const asRoot = process.getuid?.() === 0;
    const mounted = asRoot && readOnlyBindMount(night.stateDir);
    try {
      // Owner-only and read-only (a STATE_DIR other users can reach is refused before anything else); "nobody" owns it.
      if (asRoot && !mounted) await chownTree(night.stateDir, 65_534);
      if (!mounted) await chmodTree(night.stateDir, 0o500, 0o400);
      const result = await runCliAs(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, night.stateDir), asRoot && !mounted ? 65_534 : undefined);
      if (asRoot && /Cannot find module|EACCES.*cli\.js|permission denied.*dist/i.test(result.stderr)) {
        t.skip('running as root, and user "nobody" cannot read dist/: the read-only case needs an unprivileged user');
        return;
      }
      await assertRefused(result, 'MC_STATE_UNWRITABLE', /fix permissions/, night, 'read-only STATE_DIR');
      if (mounted) execFileSync('umount', [night.stateDir]);
      else await restoreOwner(night.stateDir);
      const next = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, night.stateDir));
      assert.equal(next.code, 0, outcome(next));
      assertDeliveredExactly(night.receiver, all, t2, await snapshotState(night.stateDir), { realNowMs, sentBefore: baselineSent });
    } finally {
      if (mounted) spawnSyncQuiet('umount', [night.stateDir]);
      await restoreOwner(night.stateDir).catch(() => undefined);
      await night.close();
    }
  });

  it('a status.json that cannot be written (a folder in its place): exit 7 naming it, not exit 1 "a bug"', async () => {
    const night = await nightTwoOn();
    try {
      await rm(join(night.stateDir, 'status.json'));
      await mkdir(join(night.stateDir, 'status.json', 'in-the-way'), { recursive: true });
      const result = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, night.stateDir));
      await assertRefused(result, 'MC_STATE_DAMAGED', /writing status\.json: EISDIR.*check the folder/, night, 'unwritable status.json');
      await restoreAndFinish(night);
    } finally {
      await night.close();
    }
  });

  it('a full disk mid-run: exit 7 saying to free space, and the run after space is freed finishes the night', async (t) => {
    const mount = await mkdtemp(join(tmpdir(), 'memory-cron-full-'));
    try {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount], { stdio: 'ignore' });
      } catch {
        t.skip('cannot mount a small tmpfs here (needs root with CAP_SYS_ADMIN): the full-disk case is skipped');
        return;
      }
      const night = await nightTwoOn();
      try {
        // Night one's state, then ballast, in a 1 MB file system: night two's writes run out of space.
        const stateDir = join(mount, 'state');
        await cp(night.stateDir, stateDir, { recursive: true });
        const used = await du(stateDir);
        await writeFile(join(mount, 'ballast'), Buffer.alloc(Math.max(0, 1024 * 1024 - used - 96 * 1024)));
        const onDisk = { ...night, stateDir };
        const result = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, stateDir));
        await assertRefused(result, 'MC_STATE_UNWRITABLE', /free space/, onDisk, 'full disk', Infinity);
        await rm(join(mount, 'ballast'));
        execFileSync('mount', ['-o', 'remount,size=32m', mount]);
        const next = await runCli(['--now', new Date(t2).toISOString()], faultCliEnv(night.standIn, night.receiver, stateDir));
        assert.equal(next.code, 0, outcome(next));
        assertDeliveredExactly(night.receiver, all, t2, await snapshotState(stateDir), { realNowMs, sentBefore: baselineSent });
      } finally {
        await night.close();
      }
    } finally {
      try {
        execFileSync('umount', [mount], { stdio: 'ignore' });
      } catch {
        // not mounted
      }
      await rm(mount, { recursive: true, force: true });
    }
  });
});

async function flipBytes(path: string, part = 3): Promise<void> {
  const bytes = await readFile(path);
  const from = Math.floor(bytes.length / part);
  for (let i = from; i < from + 16 && i < bytes.length; i++) bytes[i] = (bytes[i] as number) ^ 0xff;
  await writeFile(path, bytes);
}

/**
 * Flips the bytes of `key` in the last write-ahead-log record that writes it, found by the log's structure (LevelDB
 * log_format.md: 32 KiB blocks of fragments, each a 7-byte header — checksum, length, type — and its payload; a record
 * is one FULL fragment, or FIRST, MIDDLE…, LAST), so the damage lands in that record whatever else the log holds.
 */
async function flipRecordOf(path: string, key: string): Promise<void> {
  const bytes = await readFile(path);
  const blockSize = 32_768;
  const records: number[][] = []; // each record: the file offset of every byte of its payload
  let record: number[] = [];
  for (let at = 0; at + 7 <= bytes.length; ) {
    const left = blockSize - (at % blockSize);
    if (left < 7) {
      at += left; // a block's trailer, too short for a header
      continue;
    }
    const length = bytes.readUInt16LE(at + 4);
    const type = bytes[at + 6] as number;
    if (type === 0 && length === 0) break; // zeroes: nothing more was written
    const payload = Array.from({ length }, (_, i) => at + 7 + i);
    if (type === 1 || type === 2) record = payload;
    else record.push(...payload);
    if (type === 1 || type === 4) records.push(record);
    at += 7 + length;
  }
  const wanted = Buffer.from(key);
  const holding = records.findLast((offsets) => Buffer.from(offsets.map((i) => bytes[i] as number)).includes(wanted));
  assert.ok(holding !== undefined, `the log holds a record writing ${key} (records: ${records.length})`);
  const start = Buffer.from(holding.map((i) => bytes[i] as number)).lastIndexOf(wanted);
  for (const i of holding.slice(start, start + wanted.length)) bytes[i] = (bytes[i] as number) ^ 0xff;
  await writeFile(path, bytes);
}

async function listing(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map(async (name) => `${name} ${(await stat(join(dir, name))).size} ${(await stat(join(dir, name))).mtimeMs}`));
}

async function chmodTree(dir: string, dirMode: number, fileMode: number): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chmodTree(path, dirMode, fileMode);
    else await chmod(path, fileMode);
  }
  await chmod(dir, dirMode);
}

async function chownTree(dir: string, uid: number): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) await chown(join(entry.parentPath, entry.name), uid, uid);
  await chown(dir, uid, uid);
}

// Back to this process's user, owner-only and writable.
async function restoreOwner(dir: string): Promise<void> {
  if (process.getuid?.() === 0) await chownTree(dir, 0);
  await chmodTree(dir, 0o700, 0o600);
}

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return total;
}

// Like runCli, optionally as another user (uid = gid), for the read-only case under root.
function runCliAs(args: readonly string[], env: Record<string, string>, uid: number | undefined): Promise<CliResult> {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(uid === undefined ? {} : { uid, gid: uid }) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const lines = stdout.split('\n').flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, any>];
        } catch {
          return [];
        }
      });
      resolve({ code, signal, stdout, stderr, lines });
    });
  });
}

// Makes `dir` a read-only bind mount of itself; false where mounting is not allowed.
function readOnlyBindMount(dir: string): boolean {
  try {
    execFileSync('mount', ['--bind', dir, dir], { stdio: 'ignore' });
  } catch {
    return false;
  }
  try {
    execFileSync('mount', ['-o', 'remount,bind,ro', dir], { stdio: 'ignore' });
    return true;
  } catch {
    spawnSyncQuiet('umount', [dir]);
    return false;
  }
}

function spawnSyncQuiet(command: string, args: readonly string[]): void {
  spawnSync(command, args, { stdio: 'ignore' });
}
