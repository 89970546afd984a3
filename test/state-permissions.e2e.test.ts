// STATE_DIR holds chat text: it is created owner-only whatever the umask; one holding no state yet (a fresh clone's
// ./state) is made owner-only, and a run refuses one holding state that other users can reach (MC_STATE_EXPOSED,
// exit 7) until --fix-permissions or chmod -R go-rwx mends it; `check` judges it the same way, changing nothing.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
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

async function night(stateDir: string, args: string[] = [], extra: Record<string, string> = {}): Promise<CliResult & { pagesRead: number; delivered: number }> {
  return cli(stateDir, ['--now', new Date(t1).toISOString(), ...args], extra);
}

/** `memory-cron check` against the same stand-in and receiver. */
async function check(stateDir: string, args: string[] = []): Promise<CliResult & { pagesRead: number; delivered: number }> {
  return cli(stateDir, ['check', ...args]);
}

async function cli(stateDir: string, args: string[], extra: Record<string, string> = {}): Promise<CliResult & { pagesRead: number; delivered: number }> {
  const standIn = await startStandIn({ chats: [...chats] as RawChat[] });
  const receiver = await startWebhookReceiver();
  try {
    const result = await runCli(args, faultCliEnv(standIn, receiver, stateDir, extra));
    return { ...result, pagesRead: standIn.requests.length, delivered: receiver.deliveries.length };
  } finally {
    await Promise.all([standIn.close(), receiver.close()]);
  }
}

/** The MC_STATE_EXPOSED line of a result (its code, mode and message), or undefined. */
function exposedLine(result: CliResult): { code: unknown; mode: unknown; msg: unknown } | undefined {
  const line = result.lines.find((l) => l['code'] === 'MC_STATE_EXPOSED');
  return line === undefined ? undefined : { code: line['code'], mode: line['mode'], msg: line['msg'] };
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

  it('a STATE_DIR holding no state yet (0755 with only a .gitkeep, as a fresh clone leaves ./state) passes check unchanged, and a run makes it owner-only and goes on', async () => {
    const stateDir = join(await tempDir(), 'state');
    await mkdir(stateDir);
    await chmod(stateDir, 0o755);
    await writeFile(join(stateDir, '.gitkeep'), '', { mode: 0o644 });
    const before = await modes(stateDir);

    const checked = await check(stateDir);
    assert.equal(checked.code, 0, outcome(checked));
    assert.equal(checked.lines.at(-1)?.['stateDirMode'], '0755');
    assert.deepEqual(await modes(stateDir), before, 'check changed no mode');

    const ran = await night(stateDir);
    assert.equal(ran.code, 0, outcome(ran));
    assert.deepEqual(errorCodes(ran), []);
    assert.deepEqual(notOwnerOnly(await modes(stateDir)), []);
    const empty = join(await tempDir(), 'empty');
    await mkdir(empty, { mode: 0o777 });
    await chmod(empty, 0o777);
    const fromEmpty = await night(empty);
    assert.equal(fromEmpty.code, 0, `an empty folder open to all is made owner-only too: ${outcome(fromEmpty)}`);
    assert.equal((await stat(empty)).mode & 0o777, 0o700);
  });

  it('check judges STATE_DIR as a run does, changing nothing: a folder holding state and open to others (0755) fails with the run\'s MC_STATE_EXPOSED and exit 7; with --fix-permissions it says a run would mend it', async () => {
    const stateDir = join(await tempDir(), 'state');
    assert.equal((await night(stateDir)).code, 0);
    await chmodTree(stateDir, 0o755, 0o644);
    const before = await modes(stateDir);

    const checked = await check(stateDir);
    const ran = await night(stateDir);
    assert.equal(ran.code, 7, outcome(ran));
    assert.equal(checked.code, ran.code, `check exits as run would: ${outcome(checked)}`);
    assert.deepEqual(errorCodes(checked), ['MC_STATE_EXPOSED']);
    assert.deepEqual(exposedLine(checked), exposedLine(ran), 'the same refusal, word for word');
    assert.equal(exposedLine(checked)?.mode, '0755');
    assert.equal(checked.pagesRead, 0, 'refused before page 0, as a run refuses before reading');
    assert.deepEqual(await modes(stateDir), before, 'no mode was changed');

    const flagged = await check(stateDir, ['--fix-permissions']);
    assert.equal(flagged.code, 0, outcome(flagged));
    assert.deepEqual(errorCodes(flagged), []);
    const warning = flagged.lines.find((l) => l['level'] === 40 && l['stateDir'] === stateDir);
    assert.equal(warning?.['mode'], '0755');
    assert.match(String(warning?.['msg']), /is open to other users \(mode 0755\) and holds chat text; a run with --fix-permissions would make it and everything in it owner-only \(chmod -R go-rwx\) — check changed nothing$/);
    assert.equal(flagged.lines.at(-1)?.['stateDirMode'], '0755', 'the verdict line gives the mode too');
    assert.equal(flagged.delivered, 0);
    assert.deepEqual(await modes(stateDir), before, 'check --fix-permissions changed no mode');

    const mended = await night(stateDir, ['--fix-permissions']);
    assert.equal(mended.code, 0, `what check promised: ${outcome(mended)}`);
    const passes = await check(stateDir);
    assert.equal(passes.code, 0, outcome(passes));
    assert.equal(passes.lines.at(-1)?.['stateDirMode'], '0700');
  });

  it('check passes a STATE_DIR that is not there yet, without creating it (a run creates it owner-only)', async () => {
    const stateDir = join(await tempDir(), 'not-yet');
    const result = await check(stateDir);
    assert.equal(result.code, 0, outcome(result));
    assert.equal(result.lines.at(-1)?.['stateDirMode'], null);
    assert.equal(existsSync(stateDir), false, 'check created nothing');
  });

  it('the mode is reported with every permission bit: a setgid 2770 folder (what kubelet makes of an fsGroup volume) is refused as 2770, by run and check alike', async () => {
    const stateDir = join(await tempDir(), 'state');
    assert.equal((await night(stateDir)).code, 0);
    await chmod(stateDir, 0o2770);
    assert.equal((await stat(stateDir)).mode & 0o7777, 0o2770, 'the setgid bit was set');
    for (const result of [await night(stateDir), await night(stateDir, ['--dry-run']), await check(stateDir)]) {
      assert.equal(result.code, 7, outcome(result));
      const line = result.lines.find((l) => l['code'] === 'MC_STATE_EXPOSED') ?? JSON.parse(result.stderr.split('\n').find((l) => l.includes('MC_STATE_EXPOSED')) ?? '{}');
      assert.equal(line['mode'], '2770');
      assert.match(String(line['msg']), /\(mode 2770\)/);
    }
    const flagged = await check(stateDir, ['--fix-permissions']);
    assert.equal(flagged.lines.find((l) => l['level'] === 40 && l['stateDir'] === stateDir)?.['mode'], '2770');
    assert.equal((await stat(stateDir)).mode & 0o7777, 0o2770, 'check changed nothing');
    assert.equal((await night(stateDir, ['--fix-permissions'])).code, 0);
    assert.equal((await stat(stateDir)).mode & 0o7777, 0o2700, 'go-rwx, the setgid bit kept: owner-only');
    const passes = await check(stateDir);
    assert.equal(passes.code, 0, outcome(passes));
    assert.equal(passes.lines.at(-1)?.['stateDirMode'], '2700');
  });
});
