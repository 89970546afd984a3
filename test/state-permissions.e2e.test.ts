// STATE_DIR holds chat text: it is created owner-only whatever the umask, and a run refuses one that other users can
// reach (MC_STATE_EXPOSED, exit 7) until --fix-permissions or chmod -R go-rwx mends it.
import { strict as assert } from 'node:assert';
import { chmod, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import type { RawChat } from './fixtures/raw-chat.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { faultCliEnv } from './helpers/cli-env.js';
import { errorCodes, outcome } from './helpers/guarantees.ts';
import { runCli, type CliResult } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
const t1 = Date.parse('2026-11-23T09:00:00Z');
const chats = generateChats({ count: 120, seed: 21, start: new Date(t1 - 2 * 24 * hour), end: new Date(t1), realNowMs: Date.now() });

async function night(stateDir: string, args: string[] = [], extra: Record<string, string> = {}): Promise<CliResult & { pagesRead: number }> {
  const standIn = await startStandIn({ chats: [...chats] as RawChat[] });
  const receiver = await startWebhookReceiver();
  try {
    const result = await runCli(['--now', new Date(t1).toISOString(), ...args], faultCliEnv(standIn, receiver, stateDir, extra));
    return { ...result, pagesRead: standIn.requests.length };
  } finally {
    await Promise.all([standIn.close(), receiver.close()]);
  }
}

/** Every path under and including `dir` with its mode, `dir` itself as `.`. */
async function modes(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = { '.': ((await stat(dir)).mode & 0o777).toString(8) };
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    found[path.slice(dir.length + 1)] = ((await stat(path)).mode & 0o777).toString(8);
  }
  return found;
}

function notOwnerOnly(found: Record<string, string>): string[] {
  return Object.entries(found)
    .filter(([, mode]) => mode !== '700' && mode !== '600')
    .map(([path, mode]) => `${path} ${mode}`);
}

async function chmodTree(dir: string, dirMode: number, fileMode: number): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    await chmod(join(entry.parentPath, entry.name), entry.isDirectory() ? dirMode : fileMode);
  }
  await chmod(dir, dirMode);
}

describe('STATE_DIR permissions', () => {
  before(() => {
    process.umask(0o022); // what a shell gives; the CLI children inherit it
  });

  it('a fresh STATE_DIR and LOG_DIR, created under umask 022, are owner-only: folders 0700, files 0600', async () => {
    const root = await tempDir();
    const stateDir = join(root, 'state');
    const logDir = join(root, 'logs');
    const result = await night(stateDir, [], { LOG_DIR: logDir });
    assert.equal(result.code, 0, outcome(result));
    const found = await modes(stateDir);
    assert.ok(Object.keys(found).some((path) => path.endsWith('.ldb') || path.endsWith('.log')), 'LevelDB files were checked');
    assert.ok('status.json' in found, 'status.json was checked');
    assert.deepEqual(notOwnerOnly(found), []);
    assert.deepEqual(notOwnerOnly(await modes(logDir)), []);
  });

  it('a STATE_DIR other users can read (0755) is refused with exit 7 naming the fix, and nothing is read or changed', async () => {
    const stateDir = join(await tempDir(), 'state');
    assert.equal((await night(stateDir)).code, 0);
    await chmodTree(stateDir, 0o755, 0o644);
    const before = await modes(stateDir);
    const result = await night(stateDir);
    assert.equal(result.code, 7, outcome(result));
    assert.deepEqual(errorCodes(result), ['MC_STATE_EXPOSED']);
    const line = String(result.lines.find((l) => l['code'] === 'MC_STATE_EXPOSED')?.['msg']);
    assert.match(line, /--fix-permissions/);
    assert.match(line, new RegExp(`chmod -R go-rwx ${stateDir}`));
    assert.match(line, /0755/);
    assert.equal(result.pagesRead, 0, 'no page was read');
    assert.deepEqual(await modes(stateDir), before, 'no mode was changed');
    const dryRun = await night(stateDir, ['--dry-run']);
    assert.equal(dryRun.code, 7, `a dry run refuses too: ${outcome(dryRun)}`);
    assert.match(dryRun.stderr, /MC_STATE_EXPOSED/);
  });

  it('--fix-permissions makes such a STATE_DIR owner-only, and the run goes on', async () => {
    const stateDir = join(await tempDir(), 'state');
    assert.equal((await night(stateDir)).code, 0);
    await chmodTree(stateDir, 0o775, 0o666);
    const result = await night(stateDir, ['--fix-permissions']);
    assert.equal(result.code, 0, outcome(result));
    assert.deepEqual(notOwnerOnly(await modes(stateDir)), []);
    const next = await night(stateDir);
    assert.equal(next.code, 0, `the next run needs no flag: ${outcome(next)}`);
  });

  it('an owner-only STATE_DIR holding wider files (an older version under umask 022) is narrowed, not refused', async () => {
    const stateDir = join(await tempDir(), 'state');
    assert.equal((await night(stateDir)).code, 0);
    await chmodTree(stateDir, 0o755, 0o644);
    await chmod(stateDir, 0o700);
    const result = await night(stateDir);
    assert.equal(result.code, 0, outcome(result));
    assert.deepEqual(notOwnerOnly(await modes(stateDir)), []);
  });
});
