// Several memory-cron instances on one host: the template units memory-cron@.service/.timer, the weekly
// memory-cron-reconcile@.service/.timer, and `install.sh --instance NAME`, checked with systemd-analyze and by running two installed instances side by side.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { startWebhookReceiver, type Receiver } from './fixtures/webhook-receiver.ts';
import { chatIdsOf, hashTree } from './helpers/cli-env.js';
import { runCli } from './helpers/run-cli.js';
import { assertVerifies, breakExecStart, noAnalyze, run, systemdDir, testableUnits } from './helpers/systemd-analyze.js';
import { settings } from './helpers/unit-settings.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'memory-cron-instances-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

const built = existsSync(join(repo, 'dist', 'cli.js'));

/** The template units, as systemd-analyze verify accepts them (testableUnits). */
function testableTemplate(): string {
  return testableUnits(work, { 'memory-cron@.service': 'run', 'memory-cron-reconcile@.service': 'reconcile' }, ['memory-cron@.timer', 'memory-cron-reconcile@.timer']);
}

describe('template units', () => {
  const plain = readFileSync(join(systemdDir, 'memory-cron.service'), 'utf8');
  const template = readFileSync(join(systemdDir, 'memory-cron@.service'), 'utf8');

  test('systemd-analyze verify passes on memory-cron@tenant-a.service and .timer, and fails on a missing node', { skip: noAnalyze }, () => {
    const dir = testableTemplate();
    assertVerifies(dir, ['memory-cron@tenant-a.service', 'memory-cron@tenant-a.timer']);
    breakExecStart(dir, 'memory-cron@.service');
    assert.notEqual(run('systemd-analyze', ['verify', join(dir, 'memory-cron@tenant-a.service')]).status, 0);
  });

  test('systemd-analyze security rates an instance at an exposure of 1.5 or less', { skip: noAnalyze }, () => {
    const dir = testableTemplate();
    const result = run('systemd-analyze', ['security', '--offline=true', '--no-pager', join(dir, 'memory-cron@tenant-a.service')]);
    const match = /Overall exposure level for memory-cron@tenant-a\.service: (\d+(?:\.\d+)?)/.exec(result.stdout);
    assert.ok(match, result.stdout + result.stderr);
    assert.ok(Number(match[1]) <= 1.5, `exposure ${match[1]} > 1.5:\n${result.stdout}`);
  });

  test('each instance has its own user, settings, credentials, state and logs; the rest is the plain unit, hardening included', () => {
    const got = new Map<string, string[]>();
    for (const [key, value] of settings(template)) got.set(key, [...(got.get(key) ?? []), value]);
    const one = (key: string) => got.get(key)?.join('\n');
    assert.equal(one('User'), 'memory-cron-%i');
    assert.equal(one('StateDirectory'), 'memory-cron/%i');
    assert.equal(one('LogsDirectory'), 'memory-cron/%i');
    assert.equal(got.get('Environment')?.[0], 'STATE_DIR=%S/memory-cron/%i LOG_DIR=%L/memory-cron/%i INSTANCE=%i NODE_ENV=production');
    assert.equal(one('EnvironmentFile'), '-/etc/memory-cron/%i.env');
    assert.deepEqual(got.get('LoadCredential'), ['api-key:/etc/memory-cron/%i.api-key', 'webhook-secret:/etc/memory-cron/%i.webhook-secret']);
    const perInstance = new Set(['Description', 'User', 'StateDirectory', 'LogsDirectory', 'Environment', 'EnvironmentFile', 'LoadCredential']);
    const rest = (unit: string) => settings(unit).filter(([key, value]) => !perInstance.has(key) || (key === 'Environment' && value.startsWith('NODE_OPTIONS')));
    assert.deepEqual(rest(template), rest(plain), 'same type, timeouts, NODE_OPTIONS and hardening as memory-cron.service');
    const timer = readFileSync(join(systemdDir, 'memory-cron@.timer'), 'utf8');
    const plainTimer = readFileSync(join(systemdDir, 'memory-cron.timer'), 'utf8');
    assert.deepEqual(settings(timer).filter(([key]) => key !== 'Description'), settings(plainTimer).filter(([key]) => key !== 'Description'));
  });
});

describe('reconcile template units', () => {
  const plainReconcile = readFileSync(join(systemdDir, 'memory-cron-reconcile.service'), 'utf8');
  const template = readFileSync(join(systemdDir, 'memory-cron-reconcile@.service'), 'utf8');
  const nightly = readFileSync(join(systemdDir, 'memory-cron@.service'), 'utf8');

  test('systemd-analyze verify passes on memory-cron-reconcile@tenant-a.service and .timer', { skip: noAnalyze }, () => {
    assertVerifies(testableTemplate(), ['memory-cron-reconcile@tenant-a.service', 'memory-cron-reconcile@tenant-a.timer']);
  });

  test("an instance's reconcile has the instance's user, settings, state and API key, and the rest of the plain reconcile unit", () => {
    const of = (unit: string) => new Map(settings(unit).map(([key, value]) => [key, value] as const));
    const got = of(template);
    for (const key of ['User', 'StateDirectory', 'LogsDirectory', 'EnvironmentFile']) assert.equal(got.get(key), of(nightly).get(key), key);
    assert.equal(settings(template).find(([key]) => key === 'Environment')?.[1], settings(nightly).find(([key]) => key === 'Environment')?.[1]);
    assert.deepEqual(settings(template).filter(([key]) => key === 'LoadCredential'), [['LoadCredential', 'api-key:/etc/memory-cron/%i.api-key']], 'the API key only: it posts nothing');
    assert.match(template, /^ExecStart=\S+ \S+\/cli\.js reconcile$/m);
    const perInstance = new Set(['Description', 'After', 'User', 'StateDirectory', 'LogsDirectory', 'Environment', 'EnvironmentFile', 'LoadCredential']);
    const rest = (unit: string) => settings(unit).filter(([key, value]) => !perInstance.has(key) || (key === 'Environment' && value.startsWith('NODE_OPTIONS')));
    assert.deepEqual(rest(template), rest(plainReconcile), 'same type, timeouts and hardening as memory-cron-reconcile.service');
    const timer = readFileSync(join(systemdDir, 'memory-cron-reconcile@.timer'), 'utf8');
    const plainTimer = readFileSync(join(systemdDir, 'memory-cron-reconcile.timer'), 'utf8');
    assert.deepEqual(settings(timer).filter(([key]) => key !== 'Description'), settings(plainTimer).filter(([key]) => key !== 'Description'));
  });
});

describe('operator wrapper with @NAME', () => {
  test("runs the command with the instance's settings, user, state and credentials", () => {
    const dir = testableTemplate();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'systemd-run'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
    chmodSync(join(bin, 'systemd-run'), 0o755);
    const result = run('bash', [join(systemdDir, 'memory-cron-wrapper.sh'), '@tenant-a', 'status', '--json'], { PATH: `${bin}:${process.env['PATH']}`, MEMORY_CRON_UNIT: join(dir, 'memory-cron@.service') });
    assert.equal(result.status, 0, result.stderr);
    const args = result.stdout.split('\n').slice(0, -1);
    for (const arg of ['--property=User=memory-cron-tenant-a', '--property=StateDirectory=memory-cron/tenant-a', '--property=EnvironmentFile=-/etc/memory-cron/tenant-a.env', '--property=LoadCredential=api-key:/etc/memory-cron/tenant-a.api-key', '--property=Environment=STATE_DIR=/var/lib/memory-cron/tenant-a LOG_DIR=/var/log/memory-cron/tenant-a INSTANCE=tenant-a NODE_ENV=production']) {
      assert.ok(args.includes(arg), `missing ${arg} in ${args.join(' ')}`);
    }
    assert.deepEqual(args.slice(args.indexOf('--') + 1), [process.execPath, join(dir, 'cli.js'), 'status', '--json']);
    assert.equal(run('bash', [join(systemdDir, 'memory-cron-wrapper.sh'), '@../x', 'status'], { MEMORY_CRON_UNIT: join(dir, 'memory-cron@.service') }).status, 2);
  });
});

/** What systemd hands instance `name` of the installed template: its environment (specifiers expanded into `root`) and credentials. */
function serviceEnvironment(root: string, name: string): { env: Record<string, string>; exec: [string, string, string] } {
  const unit = readFileSync(join(root, 'etc/systemd/system/memory-cron@.service'), 'utf8');
  const expand = (value: string) => value.replaceAll('%S', join(root, 'var/lib')).replaceAll('%L', join(root, 'var/log')).replaceAll('%i', name);
  const env: Record<string, string> = {};
  const credentials = join(work, `credentials-${name}`);
  mkdirSync(credentials, { recursive: true });
  for (const [key, value] of settings(unit)) {
    if (key === 'Environment') for (const pair of value.split(' ')) env[pair.slice(0, pair.indexOf('='))] = expand(pair.slice(pair.indexOf('=') + 1));
    if (key === 'EnvironmentFile') {
      for (const line of readFileSync(join(root, expand(value.replace(/^-/, ''))), 'utf8').split('\n')) {
        if (/^[A-Z_][A-Z0-9_]*=/.test(line)) env[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
      }
    }
    if (key === 'LoadCredential') {
      const [id, path] = value.split(':') as [string, string];
      copyFileSync(join(root, expand(path)), join(credentials, id));
    }
  }
  for (const dir of [env['STATE_DIR'], env['LOG_DIR']]) mkdirSync(dir!, { recursive: true, mode: 0o700 }); // StateDirectory=, LogsDirectory= with their Mode=0700
  delete env['NODE_OPTIONS'];
  const words = (/^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '').split(' ');
  return { env: { ...env, CREDENTIALS_DIRECTORY: credentials, RETRY_MIN_DELAY: '10' }, exec: words as [string, string, string] };
}

describe('install.sh --instance', { skip: !built && 'dist/cli.js is missing: run `npm run build` first (npm test does); install tests skipped' }, () => {
  const root = join(work, 'root');
  const install = (...args: string[]) => run('bash', [join(systemdDir, 'install.sh'), '--root', root, '--no-systemctl', '--no-build', ...args]);
  const mode = (path: string) => (statSync(join(root, path)).mode & 0o777).toString(8);

  test('lays out the template units and per-instance settings and credentials, twice side by side', () => {
    for (const name of ['tenant-a', 'tenant-b']) {
      const result = install('--instance', name);
      assert.equal(result.status, 0, result.stdout + result.stderr);
      for (const file of [`${name}.env`, `${name}.api-key`, `${name}.webhook-secret`]) assert.equal(mode(`etc/memory-cron/${file}`), '600', file);
    }
    assert.equal(mode('etc/systemd/system/memory-cron@.service'), '644');
    assert.equal(mode('etc/systemd/system/memory-cron@.timer'), '644');
    assert.equal(mode('etc/systemd/system/memory-cron-reconcile@.service'), '644');
    assert.equal(mode('etc/systemd/system/memory-cron-reconcile@.timer'), '644');
    const reconcile = readFileSync(join(root, 'etc/systemd/system/memory-cron-reconcile@.service'), 'utf8');
    const nightly = readFileSync(join(root, 'etc/systemd/system/memory-cron@.service'), 'utf8');
    assert.equal(/^ExecStart=(.*)$/m.exec(reconcile)?.[1], /^ExecStart=(.*)$/m.exec(nightly)?.[1]?.replace(/ run$/, ' reconcile'), 'the weekly reconcile runs the same node and program');
    assert.ok(!existsSync(join(root, 'etc/systemd/system/memory-cron.service')), 'the plain units are not installed with --instance');
    assert.ok(!existsSync(join(root, 'etc/memory-cron/env')));
    assert.ok(existsSync(join(root, 'opt/memory-cron/dist/cli.js')));
  });

  test('refuses a bad instance name, and the plain units beside the template (their state folders would nest)', () => {
    assert.equal(install('--instance', '../x').status, 2);
    const plain = install();
    assert.equal(plain.status, 2);
    assert.match(plain.stderr, /template units \(memory-cron@\.service\) are installed/);
  });

  test('two instances run a night each against their own AnythingLLM, each with its own key, state and webhook', async () => {
    const end = Date.parse('2026-11-24T09:00:00Z');
    const tenants: { name: string; key: string; standIn: StandIn; receiver: Receiver; ids: Set<number> }[] = [];
    try {
      for (const [i, name] of ['tenant-a', 'tenant-b'].entries()) {
        const chats = generateChats({ count: 120 + 40 * i, seed: 70 + i, start: new Date(end - 2 * 86_400_000), end: new Date(end), realNowMs: Date.now() });
        const key = `sk-${name}-key`;
        const standIn = await startStandIn({ chats, apiKey: key });
        const receiver = await startWebhookReceiver({ secret: `whsec_${Buffer.from(`${name} secret, 32 bytes long!!`).toString('base64')}` });
        tenants.push({ name, key, standIn, receiver, ids: new Set(chats.map((chat) => chat['id'] as number)) });
        writeFileSync(join(root, `etc/memory-cron/${name}.env`), `BASE_URL=${standIn.url}\nWEBHOOK_URL=${receiver.url}\n`);
        const installWith = (flag: string, secret: string) => run('bash', [join(systemdDir, 'install.sh'), '--root', root, '--no-systemctl', '--no-build', '--instance', name, flag], {}, `${secret}\n`);
        assert.equal(installWith('--api-key-stdin', key).status, 0);
        assert.equal(installWith('--webhook-secret-stdin', `whsec_${Buffer.from(`${name} secret, 32 bytes long!!`).toString('base64')}`).status, 0);
        assert.equal(readFileSync(join(root, `etc/memory-cron/${name}.api-key`), 'utf8'), key);
      }
      let before: Record<string, string> | undefined;
      for (const [i, tenant] of tenants.entries()) {
        const { env, exec } = serviceEnvironment(root, tenant.name);
        assert.equal(env['STATE_DIR'], join(root, 'var/lib/memory-cron', tenant.name));
        assert.equal(env['INSTANCE'], tenant.name);
        const [node, cli, command] = exec;
        const result = await runCli(['--now', new Date(end).toISOString()], env, { node, cli: join(root, cli), command });
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, new RegExp(`"msg":"run finished: ${120 + 40 * i} chats read`));
        assert.ok(tenant.receiver.deliveries.length > 0 && tenant.receiver.deliveries.every((d) => d.signatureValid === true), `${tenant.name}: signed with its own secret`);
        assert.ok([...tenant.receiver.accepted.values()].every((body) => chatIdsOf(body).every((id) => tenant.ids.has(id))), `${tenant.name}: only its own chats`);
        assert.ok(existsSync(join(env['STATE_DIR']!, 'status.json')));
        if (i === 0) before = await hashTree(env['STATE_DIR']!);
      }
      assert.deepEqual(await hashTree(join(root, 'var/lib/memory-cron/tenant-a')), before, "tenant-b's night left tenant-a's state untouched");
      assert.ok(tenants.every((tenant) => tenant.standIn.requests.every((request) => request.status === 200)), 'each instance used its own key');
    } finally {
      await Promise.all(tenants.flatMap((tenant) => [tenant.standIn.close(), tenant.receiver.close()]));
    }
  });

  test('enables the nightly and the weekly reconcile timer of the instance (systemctl --root), and --uninstall --instance disables both', { skip: noAnalyze }, () => {
    const other = join(work, 'enabled-root');
    const withSystemctl = (...args: string[]) => run('bash', [join(systemdDir, 'install.sh'), '--root', other, '--no-build', '--instance', 'tenant-c', ...args]);
    assert.equal(withSystemctl().status, 0);
    const wants = join(other, 'etc/systemd/system/timers.target.wants');
    const enabled = (timer: string) => readdirSync(wants, { withFileTypes: true }).some((entry) => entry.name === timer && entry.isSymbolicLink()); // the links point into the real /etc
    assert.ok(enabled('memory-cron@tenant-c.timer'), 'the nightly timer is enabled');
    assert.ok(enabled('memory-cron-reconcile@tenant-c.timer'), 'the weekly reconcile timer is enabled');
    assert.equal(withSystemctl('--uninstall').status, 0);
    assert.ok(!existsSync(wants) || (!enabled('memory-cron@tenant-c.timer') && !enabled('memory-cron-reconcile@tenant-c.timer')), 'both disabled');
  });

  test('--uninstall --instance stops one instance and keeps the program, the units and the other instance', () => {
    const result = install('--instance', 'tenant-a', '--uninstall');
    assert.equal(result.status, 0, result.stderr);
    for (const kept of ['opt/memory-cron/dist/cli.js', 'etc/systemd/system/memory-cron@.service', 'etc/memory-cron/tenant-a.env', 'etc/memory-cron/tenant-b.env']) assert.ok(existsSync(join(root, kept)), kept);
    assert.equal(install('--uninstall').status, 0);
    for (const gone of ['opt/memory-cron', 'etc/systemd/system/memory-cron@.service', 'etc/systemd/system/memory-cron@.timer', 'etc/systemd/system/memory-cron-reconcile@.service', 'etc/systemd/system/memory-cron-reconcile@.timer']) assert.ok(!existsSync(join(root, gone)), gone);
  });
});
