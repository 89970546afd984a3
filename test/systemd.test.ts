import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { runCli } from './helpers/run-cli.js';
import { assertVerifies, breakExecStart, noAnalyze, run, systemdDir, testableUnits } from './helpers/systemd-analyze.js';
import { settings } from './helpers/unit-settings.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'memory-cron-systemd-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

const CALENDAR = '*-*-* 03:00:00 America/Chicago';

/** The nightly and the reconcile units, as systemd-analyze verify accepts them (testableUnits). */
function testableService(): string {
  return testableUnits(work, { 'memory-cron.service': 'run', 'memory-cron-reconcile.service': 'reconcile' }, ['memory-cron.timer', 'memory-cron-reconcile.timer']);
}

describe('units', () => {
  const service = readFileSync(join(systemdDir, 'memory-cron.service'), 'utf8');
  const timer = readFileSync(join(systemdDir, 'memory-cron.timer'), 'utf8');

  test('systemd-analyze verify passes on the service and the timer, with no warning about them', { skip: noAnalyze }, () => {
    const dir = testableService();
    assertVerifies(dir, ['memory-cron.service', 'memory-cron.timer']);
  });

  test('verify refuses the unit when ExecStart= names a missing node (so the check above means something)', { skip: noAnalyze }, () => {
    const dir = testableService();
    const path = breakExecStart(dir, 'memory-cron.service');
    assert.notEqual(run('systemd-analyze', ['verify', path]).status, 0);
  });

  test('the timer fires at 03:00 America/Chicago: 09:00 UTC in winter, 08:00 UTC in summer, across both DST changes', { skip: noAnalyze }, () => {
    assert.match(timer, /^OnCalendar=\*-\*-\* 03:00:00 America\/Chicago$/m);
    assert.match(timer, /^Persistent=true$/m);
    assert.match(timer, /^WantedBy=timers\.target$/m);
    assert.match(run('systemd-analyze', ['calendar', '--help']).stdout, /--base-time=/);
    const elapses = (base: string, iterations: number) => {
      const result = run('systemd-analyze', ['calendar', `--iterations=${iterations}`, `--base-time=${base}`, CALENDAR], { TZ: 'UTC' });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /Normalized form: \*-\*-\* 03:00:00 America\/Chicago\n/);
      return [...result.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC/g)].map((match) => match[1]);
    };
    assert.deepEqual(elapses('2026-01-15 12:00:00 UTC', 2), ['2026-01-16 09:00:00', '2026-01-17 09:00:00']);
    assert.deepEqual(elapses('2026-07-15 12:00:00 UTC', 2), ['2026-07-16 08:00:00', '2026-07-17 08:00:00']);
    // 2026-03-08 and 2026-11-01: clocks change at 02:00, before the 03:00 run.
    assert.deepEqual(elapses('2026-03-06 12:00:00 UTC', 3), ['2026-03-07 09:00:00', '2026-03-08 08:00:00', '2026-03-09 08:00:00']);
    assert.deepEqual(elapses('2026-10-30 12:00:00 UTC', 3), ['2026-10-31 08:00:00', '2026-11-01 09:00:00', '2026-11-02 09:00:00']);
  });

  test('systemd-analyze security rates the service at an exposure of 1.5 or less', { skip: noAnalyze }, () => {
    const dir = testableService();
    const result = run('systemd-analyze', ['security', '--offline=true', '--no-pager', join(dir, 'memory-cron.service')]);
    const match = /Overall exposure level for memory-cron\.service: (\d+(?:\.\d+)?)/.exec(result.stdout);
    assert.ok(match, result.stdout + result.stderr);
    const exposure = Number(match[1]);
    assert.ok(exposure <= 1.5, `exposure ${exposure} > 1.5:\n${result.stdout}`);
  });

  test('the service is a hardened oneshot that V8 can run in, with state, logs and credentials', () => {
    const got = new Map<string, string[]>();
    for (const [key, value] of settings(service)) got.set(key, [...(got.get(key) ?? []), value]);
    const one = (key: string) => got.get(key)?.join('\n');
    assert.equal(one('Type'), 'oneshot');
    assert.equal(one('DynamicUser'), 'yes');
    assert.equal(one('StateDirectory'), 'memory-cron');
    assert.equal(one('LogsDirectory'), 'memory-cron');
    assert.equal(one('StateDirectoryMode'), '0700');
    assert.equal(one('LogsDirectoryMode'), '0700');
    assert.match(one('Environment') ?? '', /STATE_DIR=%S\/memory-cron/);
    assert.match(one('Environment') ?? '', /LOG_DIR=%L\/memory-cron/);
    assert.equal(one('EnvironmentFile'), '-/etc/memory-cron/env');
    assert.deepEqual(got.get('LoadCredential'), ['api-key:/etc/memory-cron/api-key', 'webhook-secret:/etc/memory-cron/webhook-secret']);
    assert.equal(one('TimeoutStartSec'), '1h');
    assert.equal(one('SyslogIdentifier'), 'memory-cron');
    assert.equal(one('MemoryDenyWriteExecute'), undefined, 'V8 JIT needs writable+executable memory');
    assert.match(one('RestrictAddressFamilies') ?? '', /AF_INET AF_INET6/);
    assert.equal(one('IPAddressDeny'), undefined, 'the API and the webhook may be anywhere');
  });

  test('the environment example documents every setting config.ts reads and holds no secret', () => {
    const example = readFileSync(join(systemdDir, 'memory-cron.env.example'), 'utf8');
    // Settings read as env['NAME'] in src/config.ts and src/config/, less the unit's own and the secrets.
    const configDir = join(repo, 'src/config');
    const sources = [join(repo, 'src/config.ts'), ...(existsSync(configDir) ? readdirSync(configDir).map((name) => join(configDir, name)) : [])];
    const config = sources.filter((path) => path.endsWith('.ts') && existsSync(path)).map((path) => readFileSync(path, 'utf8')).join('\n');
    const read = [...config.matchAll(/env\[['"]([A-Z][A-Z0-9_]*)['"]\]/g)].map((match) => match[1] ?? '');
    const notHere = new Set(['STATE_DIR', 'LOG_DIR', 'API_KEY', 'WEBHOOK_SECRET', 'CREDENTIALS_DIRECTORY', 'INVOCATION_ID', 'JOURNAL_STREAM']);
    const names = new Set(['BASE_URL', 'WEBHOOK_URL', 'CONVERSATION_HOUR_WINDOW', 'CONCURRENCY', 'TZ', 'LOG_LEVEL', 'RUN_DEADLINE', 'RETRIES', ...read.filter((name) => !notHere.has(name))]);
    for (const name of names) {
      assert.match(example, new RegExp(`^#?${name}=`, 'm'), `${name} is not documented`);
    }
    assert.doesNotMatch(example, /^#?\s*(API_KEY|WEBHOOK_SECRET)=/m);
    assert.match(example, /api-key/);
    assert.match(example, /webhook-secret/);
  });
});

describe('the weekly reconcile units (DESIGN §4)', () => {
  const nightly = readFileSync(join(systemdDir, 'memory-cron.service'), 'utf8');
  const service = readFileSync(join(systemdDir, 'memory-cron-reconcile.service'), 'utf8');
  const timer = readFileSync(join(systemdDir, 'memory-cron-reconcile.timer'), 'utf8');

  test('systemd-analyze verify passes on the reconcile service and timer, with no warning about them', { skip: noAnalyze }, () => {
    const dir = testableService();
    assertVerifies(dir, ['memory-cron-reconcile.service', 'memory-cron-reconcile.timer']);
  });

  test('the reconcile timer fires Sundays at 04:00 America/Chicago, and a missed week runs at the next boot', { skip: noAnalyze }, () => {
    assert.match(timer, /^OnCalendar=Sun \*-\*-\* 04:00:00 America\/Chicago$/m);
    assert.match(timer, /^Persistent=true$/m);
    assert.match(timer, /^WantedBy=timers\.target$/m);
    const result = run('systemd-analyze', ['calendar', '--iterations=2', '--base-time=2026-11-25 12:00:00 UTC', 'Sun *-*-* 04:00:00 America/Chicago'], { TZ: 'UTC' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual([...result.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC/g)].map((match) => match[1]), ['2026-11-29 10:00:00', '2026-12-06 10:00:00']);
  });

  test('the reconcile service is hardened exactly like the nightly one, runs `reconcile`, and loads only the API key', { skip: noAnalyze }, () => {
    const own = new Set(['ExecStart', 'LoadCredential', 'SetCredential', 'Description', 'After']);
    const rest = (unit: string) => settings(unit).filter(([key]) => !own.has(key));
    assert.deepEqual(rest(service), rest(nightly));
    assert.match(service, /^ExecStart=\S+ \S+\/cli\.js reconcile$/m);
    assert.deepEqual(settings(service).filter(([key]) => key === 'LoadCredential'), [['LoadCredential', 'api-key:/etc/memory-cron/api-key']]);
    const dir = testableService();
    const result = run('systemd-analyze', ['security', '--offline=true', '--no-pager', join(dir, 'memory-cron-reconcile.service')]);
    const match = /Overall exposure level for memory-cron-reconcile\.service: (\d+(?:\.\d+)?)/.exec(result.stdout);
    assert.ok(match !== null && Number(match[1]) <= 1.5, result.stdout + result.stderr);
  });
});

describe('operator wrapper', () => {
  test('runs the command with the unit\'s [Service] settings and drop-ins through systemd-run', () => {
    const dir = testableService();
    const unit = join(dir, 'memory-cron.service');
    mkdirSync(`${unit}.d`);
    writeFileSync(join(`${unit}.d`, 'local.conf'), '[Service]\nEnvironment=CONCURRENCY=2\n');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'systemd-run'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\nexit 6\n');
    chmodSync(join(bin, 'systemd-run'), 0o755);
    const result = run('bash', [join(systemdDir, 'memory-cron-wrapper.sh'), 'status', '--json'], { PATH: `${bin}:${process.env.PATH}`, MEMORY_CRON_UNIT: unit, LOG_LEVEL: 'debug' });
    assert.equal(result.status, 6, 'the command\'s exit code is the wrapper\'s');
    const args = result.stdout.split('\n').slice(0, -1);
    for (const arg of ['--pipe', '--wait', '--collect', '--property=User=memory-cron', '--property=DynamicUser=yes', '--property=StateDirectory=memory-cron', '--property=EnvironmentFile=-/etc/memory-cron/env', '--property=LoadCredential=api-key:/etc/memory-cron/api-key', '--property=ProtectSystem=strict', '--property=Environment=CONCURRENCY=2', '--setenv=LOG_LEVEL=debug']) {
      assert.ok(args.includes(arg), `missing ${arg} in ${args.join(' ')}`);
    }
    assert.ok(args.includes('--property=Environment=STATE_DIR=/var/lib/memory-cron LOG_DIR=/var/log/memory-cron NODE_ENV=production'), 'specifiers expanded');
    assert.ok(!args.some((arg) => /Type=|TimeoutStartSec|ExecStart/.test(arg)));
    assert.deepEqual(args.slice(args.indexOf('--') + 1), [process.execPath, join(dir, 'cli.js'), 'status', '--json']);
  });
});

/** Every path under `dir` with its type, mode, size, mtime and (for files) content hash. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    const stat = lstatSync(path);
    const rel = path.slice(dir.length) || '/';
    const hash = stat.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : stat.isSymbolicLink() ? readlinkSync(path) : '';
    out.push(`${rel} ${stat.mode.toString(8)} ${stat.size} ${stat.mtimeMs} ${hash}`);
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
  };
  walk(dir);
  return out;
}

const built = existsSync(join(repo, 'dist', 'cli.js'));

describe('install.sh', { skip: !built && 'dist/cli.js is missing: run `npm run build` first (npm test does); install tests skipped' }, () => {
  const root = join(work, 'root');
  const install = (...args: string[]) => run('bash', [join(systemdDir, 'install.sh'), '--root', root, '--no-systemctl', '--no-build', ...args]);
  const mode = (path: string) => (statSync(join(root, path)).mode & 0o777).toString(8);

  test('--root TMP --no-systemctl lays out the program, units, wrapper and settings with the right modes', () => {
    const result = install();
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.ok(existsSync(join(root, 'opt/memory-cron/dist/cli.js')));
    assert.ok(existsSync(join(root, 'opt/memory-cron/package-lock.json')));
    assert.ok(existsSync(join(root, 'opt/memory-cron/node_modules/pino/package.json')));
    assert.ok(!existsSync(join(root, 'opt/memory-cron/node_modules/typescript')), 'dev dependencies are left out');
    assert.equal(mode('etc/memory-cron'), '700');
    for (const file of ['env', 'api-key', 'webhook-secret']) assert.equal(mode(`etc/memory-cron/${file}`), '600');
    assert.equal(readFileSync(join(root, 'etc/memory-cron/env'), 'utf8'), readFileSync(join(systemdDir, 'memory-cron.env.example'), 'utf8'));
    assert.equal(readFileSync(join(root, 'etc/memory-cron/api-key'), 'utf8'), '');
    assert.equal(mode('etc/systemd/system/memory-cron.service'), '644');
    assert.equal(mode('etc/systemd/system/memory-cron.timer'), '644');
    assert.equal(mode('etc/systemd/system/memory-cron-reconcile.service'), '644');
    assert.equal(mode('etc/systemd/system/memory-cron-reconcile.timer'), '644');
    assert.equal(mode('usr/local/bin/memory-cron'), '755');
    const cliMode = statSync(join(root, 'opt/memory-cron/dist/cli.js')).mode;
    assert.ok((cliMode & 0o004) !== 0 && (cliMode & 0o022) === 0, 'the program is readable by the dynamic user and writable by root only');
  });

  test('the installed ExecStart= names an existing node and the installed cli.js', () => {
    const unit = readFileSync(join(root, 'etc/systemd/system/memory-cron.service'), 'utf8');
    const words = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.split(' ') ?? [];
    assert.equal(words.length, 3, unit);
    const [node, cli, command] = words as [string, string, string];
    accessSync(node, constants.X_OK);
    assert.equal(cli, '/opt/memory-cron/dist/cli.js');
    assert.ok(existsSync(join(root, cli)));
    assert.equal(command, 'run');
    const reconcile = readFileSync(join(root, 'etc/systemd/system/memory-cron-reconcile.service'), 'utf8');
    assert.equal(/^ExecStart=(.*)$/m.exec(reconcile)?.[1], `${node} ${cli} reconcile`, 'the weekly reconcile runs the same node and program');
  });

  test('running install.sh again changes nothing, and never overwrites settings or secrets', () => {
    writeFileSync(join(root, 'etc/memory-cron/env'), 'BASE_URL=http://127.0.0.1:1\n');
    const before = snapshot(root);
    const result = install();
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(snapshot(root), before);
  });

  test('--api-key-stdin stores the key 0600 without printing it', () => {
    const result = run('bash', [join(systemdDir, 'install.sh'), '--root', root, '--no-systemctl', '--no-build', '--api-key-stdin'], {}, 'sk-test-key-42\n');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(join(root, 'etc/memory-cron/api-key'), 'utf8'), 'sk-test-key-42');
    assert.equal(mode('etc/memory-cron/api-key'), '600');
    assert.ok(!(result.stdout + result.stderr).includes('sk-test-key-42'));
    assert.equal(install().status, 0);
    assert.equal(readFileSync(join(root, 'etc/memory-cron/api-key'), 'utf8'), 'sk-test-key-42');
  });

  test('the installed CLI runs a night with the settings of the installed env file and credential files', async () => {
    const end = Date.parse('2026-11-24T09:00:00Z');
    const chats = generateChats({ count: 200, seed: 5, start: new Date(end - 2 * 86_400_000), end: new Date(end), realNowMs: Date.now() });
    const standIn = await startStandIn({ chats, apiKey: 'sk-test-key-42' });
    const receiver = await startWebhookReceiver({ secret: 'whsec_aW5zdGFsbGVkIHNlY3JldA==' });
    try {
      writeFileSync(join(root, 'etc/memory-cron/env'), `BASE_URL=${standIn.url}\nWEBHOOK_URL=${receiver.url}\n# a comment\nRETRY_MIN_DELAY=10\n`);
      assert.equal(run('bash', [join(systemdDir, 'install.sh'), '--root', root, '--no-systemctl', '--no-build', '--webhook-secret-stdin'], {}, 'whsec_aW5zdGFsbGVkIHNlY3JldA==\n').status, 0);
      // What systemd hands the service: EnvironmentFile= and Environment= as variables, LoadCredential= files in $CREDENTIALS_DIRECTORY.
      const unit = readFileSync(join(root, 'etc/systemd/system/memory-cron.service'), 'utf8');
      const envLines = readFileSync(join(root, 'etc/memory-cron/env'), 'utf8').split('\n').filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line));
      const fromEnvFile = Object.fromEntries(envLines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      const [node, cli, command] = (/^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '').split(' ') as [string, string, string];
      const stateDir = join(work, 'installed-state');
      // Spawned, not spawnSync: the stand-in and receiver answer from this process's event loop.
      const result = await runCli(['--now', new Date(end).toISOString()], { ...fromEnvFile, STATE_DIR: stateDir, CREDENTIALS_DIRECTORY: join(root, 'etc/memory-cron') }, { node, cli: join(root, cli), command });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /"msg":"run finished: 200 chats read, \d+ conversations sent/);
      assert.ok(receiver.deliveries.length > 0 && receiver.deliveries.every((d) => d.signatureValid === true), 'signed with the installed secret');
      assert.ok(!result.stdout.includes('sk-test-key-42') && !result.stdout.includes('whsec_aW5zdGFsbGVkIHNlY3JldA'), 'no secret in the log');
    } finally {
      await standIn.close();
      await receiver.close();
    }
  });

  test('--uninstall removes program, units and wrapper, and keeps /etc/memory-cron', () => {
    const result = install('--uninstall');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Kept: \/etc\/memory-cron/);
    for (const gone of ['opt/memory-cron', 'etc/systemd/system/memory-cron.service', 'etc/systemd/system/memory-cron.timer', 'etc/systemd/system/memory-cron-reconcile.service', 'etc/systemd/system/memory-cron-reconcile.timer', 'usr/local/bin/memory-cron']) {
      assert.ok(!existsSync(join(root, gone)), `${gone} is still there`);
    }
    assert.equal(readFileSync(join(root, 'etc/memory-cron/api-key'), 'utf8'), 'sk-test-key-42');
  });

  test('refuses a prefix it did not make', () => {
    const other = join(work, 'not-ours');
    mkdirSync(join(other, 'opt/memory-cron'), { recursive: true });
    writeFileSync(join(other, 'opt/memory-cron/precious'), '');
    const result = run('bash', [join(systemdDir, 'install.sh'), '--root', other, '--no-systemctl', '--no-build']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /not made by install\.sh/);
    assert.equal(run('bash', [join(systemdDir, 'install.sh'), '--root', other, '--no-systemctl', '--uninstall']).status, 0);
    assert.ok(existsSync(join(other, 'opt/memory-cron/precious')));
  });
});
