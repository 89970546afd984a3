import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLog } from '../src/log.ts';
import { DailyFile, dailyFileName } from '../src/log/daily-file.ts';
import { journalPrefix } from '../src/log/journal.ts';
import { formatPretty } from '../src/log/pretty.ts';
import { createScrubber } from '../src/log/scrub.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const logModule = new URL('../src/log.ts', import.meta.url).href;
const work = mkdtempSync(join(tmpdir(), 'memory-cron-log-test-'));
after(() => rmSync(work, { recursive: true, force: true }));
let serial = 0;

/** What a child does with its logger: `levels` logs once at every level, `many` logs N lines. */
type Scenario = { readonly kind: 'levels' } | { readonly kind: 'secrets'; readonly secret: string } | { readonly kind: 'many'; readonly count: number };

// The child creates the logger exactly as the CLI will, acts, flushes, and exits at once.
const CHILD = `
const { createLog } = await import(process.env.LOG_MODULE);
const { options, scenario } = JSON.parse(process.argv[2]);
const log = createLog(options);
const logger = log.logger;
if (scenario.kind === 'levels') {
  logger.trace('t'); logger.debug('d'); logger.info('i'); logger.warn('w'); logger.error('e'); logger.fatal('f');
} else if (scenario.kind === 'secrets') {
  const s = scenario.secret;
  const child = logger.child({ stage: 'source', auth: 'Bearer ' + s });
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) {
    child[level]({ req: { headers: { authorization: 'Bearer ' + s } }, list: [1, { deep: [s] }], url: 'https://x.test/?key=' + encodeURIComponent(s) }, 'calling with ' + s);
    child[level]({ err: Object.assign(new Error('refused key ' + s, { cause: new Error('inner ' + s) }), { body: s }) }, 'failed');
  }
} else {
  for (let i = 0; i < scenario.count; i++) logger.info({ i, pad: 'x'.repeat(200) }, 'line');
}
await log.flush();
process.stderr.write('child done\\n');
process.exit(0);
`;
const childScript = join(work, 'child.mts');
writeFileSync(childScript, CHILD);

interface ChildRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
}

/** Runs the child with stdout and stderr in files; `journal` sets JOURNAL_STREAM to the dev:ino of that stream (or of an unrelated file). */
function runChild(options: Record<string, unknown>, scenario: Scenario, env: NodeJS.ProcessEnv = {}, journal?: 'stdout' | 'stderr' | 'other'): ChildRun {
  const dir = join(work, `run-${++serial}`);
  mkdirSync(dir);
  const outPath = join(dir, 'stdout');
  const errPath = join(dir, 'stderr');
  const out = openSync(outPath, 'w');
  const err = openSync(errPath, 'w');
  const other = join(dir, 'other');
  writeFileSync(other, '');
  const devIno = (fd: number) => {
    const stat = fstatSync(fd, { bigint: true });
    return `${stat.dev}:${stat.ino}`;
  };
  const journalStream = journal === 'stdout' ? devIno(out) : journal === 'stderr' ? devIno(err) : journal === 'other' ? `${statSync(other, { bigint: true }).dev}:${statSync(other, { bigint: true }).ino}` : undefined;
  const { JOURNAL_STREAM: _journal, LOG_LEVEL: _level, ...inherited } = process.env;
  const childEnv: NodeJS.ProcessEnv = { ...inherited, LOG_MODULE: logModule, NO_COLOR: '', ...env };
  if (journalStream !== undefined) childEnv.JOURNAL_STREAM = journalStream;
  const result = spawnSync(process.execPath, ['--import', 'tsx', childScript, JSON.stringify({ options, scenario })], {
    cwd: repo,
    env: childEnv,
    stdio: ['ignore', out, err],
    timeout: 60_000,
  });
  closeSync(out);
  closeSync(err);
  return { stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8'), status: result.status };
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('journal priority prefixes', () => {
  test('with JOURNAL_STREAM naming stdout, every line starts with its syslog priority', () => {
    const run = runChild({ level: 'trace' }, { kind: 'levels' }, {}, 'stdout');
    assert.equal(run.status, 0, run.stderr);
    const got = lines(run.stdout);
    assert.deepEqual(
      got.map((line) => line.slice(0, 3)),
      ['<7>', '<7>', '<6>', '<4>', '<3>', '<3>'],
    );
    assert.deepEqual(
      got.map((line) => JSON.parse(line.slice(3)).level),
      [10, 20, 30, 40, 50, 60],
    );
  });

  test('with JOURNAL_STREAM naming another file (a redirected child), lines are plain JSON', () => {
    const run = runChild({ level: 'trace' }, { kind: 'levels' }, {}, 'other');
    assert.equal(run.status, 0, run.stderr);
    const got = lines(run.stdout);
    assert.equal(got.length, 6);
    for (const line of got) assert.equal(typeof JSON.parse(line).msg, 'string');
  });

  test("to: 'stderr' checks stderr against JOURNAL_STREAM and leaves stdout to the NDJSON", () => {
    const run = runChild({ to: 'stderr' }, { kind: 'levels' }, {}, 'stderr');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '');
    const got = lines(run.stderr).filter((line) => line !== 'child done');
    assert.deepEqual(
      got.map((line) => line.slice(0, 3)),
      ['<6>', '<4>', '<3>', '<3>'],
    );
  });

  test('the level comes from LOG_LEVEL when no level is given', () => {
    const run = runChild({}, { kind: 'levels' }, { LOG_LEVEL: 'warn' });
    assert.deepEqual(
      lines(run.stdout).map((line) => JSON.parse(line).msg),
      ['w', 'e', 'f'],
    );
  });

  test('journalPrefix maps pino levels to syslog priorities', () => {
    assert.deepEqual([10, 20, 30, 40, 50, 60].map(journalPrefix), ['<7>', '<7>', '<6>', '<4>', '<3>', '<3>']);
  });
});

describe('line format', () => {
  test('lines carry an ISO time, pid, hostname, the base fields and errors under err', () => {
    const run = runChild({ base: { version: '9.9.9', invocation: 'abc' } }, { kind: 'secrets', secret: 'unused-secret' });
    const line = lines(run.stdout).map((text) => JSON.parse(text)).find((record) => record.err !== undefined);
    assert.ok(line);
    assert.match(line.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(line.version, '9.9.9');
    assert.equal(line.invocation, 'abc');
    assert.equal(typeof line.pid, 'number');
    assert.equal(line.err.type, 'Error');
    assert.match(line.err.stack, /caused by: Error: inner/);
  });

  test('a process.exit() right after flush() loses no line, even through a pipe', async () => {
    const count = 3000;
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, JSON.stringify({ options: {}, scenario: { kind: 'many', count } })], {
      cwd: repo,
      env: { ...process.env, LOG_MODULE: logModule, JOURNAL_STREAM: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    // Read slowly at first so the pipe fills and the child meets EAGAIN.
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 300);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(status, 0);
    const got = lines(Buffer.concat(chunks).toString('utf8'));
    assert.equal(got.length, count);
    assert.equal(JSON.parse(got.at(-1) ?? '{}').i, count - 1);
  });

  test('a reader that goes away (EPIPE) does not crash the job', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, JSON.stringify({ options: {}, scenario: { kind: 'many', count: 2000 } })], {
      cwd: repo,
      env: { ...process.env, LOG_MODULE: logModule },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(status, 0, stderr);
    assert.match(stderr, /child done/);
  });

  test('a terminal gets readable lines, not JSON', { skip: spawnSync('script', ['--version']).status !== 0 && 'needs script(1) for a pseudo-terminal' }, () => {
    const command = [process.execPath, '--import', 'tsx', childScript, JSON.stringify({ options: {}, scenario: { kind: 'levels' } })].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
    const result = spawnSync('script', ['-qfec', command, '/dev/null'], {
      cwd: repo,
      env: { ...process.env, LOG_MODULE: logModule, NO_COLOR: '1', JOURNAL_STREAM: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 0, result.stderr);
    const got = lines(result.stdout.replaceAll('\r', '')).filter((line) => line !== 'child done');
    assert.equal(got.length, 4);
    assert.match(got[0] ?? '', /^\d{2}:\d{2}:\d{2}\.\d{3} INFO  i$/);
    assert.match(got[1] ?? '', /^\d{2}:\d{2}:\d{2}\.\d{3} WARN  w$/);
  });

  test('formatPretty shows time, level, stage, message, fields and the error stack', () => {
    const line = JSON.stringify({ level: 50, time: '2026-01-02T03:04:05.678Z', pid: 1, hostname: 'h', version: '1', stage: 'delivery', msg: 'failed', id: 7, err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x', code: 'MC_X' } });
    const text = formatPretty(line, { hide: ['version'] });
    assert.match(text, /^\d{2}:\d{2}:05\.678 ERROR \[delivery\] failed {2}id=7\n {4}Error: boom\n {8}at x\n {4}code=MC_X\n$/);
    assert.equal(formatPretty('not json\n'), 'not json\n');
  });

  test('formatPretty folds a long object field (the run summary) to {…}, so the summary line fits a terminal; short ones stay', () => {
    const summary = { chats: { read: 300, staged: 290, skipped: 6, quarantined: 4 }, conversations: { sent: 67, open: 3, dead: 0, parked: 0 } };
    const line = JSON.stringify({ level: 30, time: '2026-01-02T03:04:05.678Z', msg: 'run finished: 300 chats read, 67 conversations sent', summary, webhook: { answered: 200 } });
    assert.match(formatPretty(line), /^\d{2}:\d{2}:05\.678 INFO  run finished: 300 chats read, 67 conversations sent {2}summary=\{…\} webhook=\{"answered":200\}\n$/);
  });

  test('a bad LOG_LEVEL is a configuration error naming it', () => {
    assert.throws(() => createLog({ env: { LOG_LEVEL: 'loud' } }), (error: Error & { code?: string }) => error.code === 'MC_CONFIG' && /LOG_LEVEL/.test(error.message));
  });
});

describe('secrets never reach a line', () => {
  const secrets = ['sk-live-0123456789abcdef', 'whsec_c2VjcmV0IHdpdGggIiBhbmQgXCBpbg==', 'pa"ss\\wo/rd?&='];
  for (const secret of secrets) {
    test(`${JSON.stringify(secret)} is redacted in msg, err.message, causes and nested fields at every level, on stdout and in the file`, () => {
      const logDir = join(work, `secrets-${++serial}`);
      const run = runChild({ level: 'trace', logDir, secrets: [secret, ''] }, { kind: 'secrets', secret }, {}, 'stdout');
      assert.equal(run.status, 0, run.stderr);
      const [name] = readdirSync(logDir);
      const file = readFileSync(join(logDir, name ?? ''), 'utf8');
      for (const text of [run.stdout, file]) {
        const got = lines(text);
        assert.equal(got.length, 12);
        for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]) {
          assert.ok(!text.includes(form), `found ${form} in\n${text}`);
        }
        assert.ok(text.includes('[redacted]'));
      }
      const record = JSON.parse(lines(file)[1] ?? '{}');
      assert.equal(record.err.message, 'refused key [redacted]: inner [redacted]');
      assert.equal(record.err.body, '[redacted]');
      assert.equal(record.auth, 'Bearer [redacted]');
    });
  }

  test('createScrubber ignores empty secrets and scrubs a secret that contains another whole', () => {
    assert.equal(createScrubber(['', '  '])('{"a":"b"}'), '{"a":"b"}');
    assert.equal(createScrubber(['abc', 'abcdef'])('{"a":"xabcdefx abc"}'), '{"a":"x[redacted]x [redacted]"}');
  });
});

describe('daily log file', () => {
  test('appends plain JSON (no priority prefix) to memory-cron-YYYY-MM-DD.log in a folder it creates', () => {
    const logDir = join(work, `files-${++serial}`, 'nested', 'logs');
    const run = runChild({ logDir, level: 'trace' }, { kind: 'levels' }, { TZ: 'UTC' }, 'stdout');
    assert.equal(run.status, 0, run.stderr);
    const name = `memory-cron-${new Date().toISOString().slice(0, 10)}.log`;
    assert.equal(dailyFileName(new Date(2026, 0, 2, 23, 59)), 'memory-cron-2026-01-02.log');
    assert.deepEqual(readdirSync(logDir), [name]);
    const file = readFileSync(join(logDir, name), 'utf8');
    assert.equal(file, lines(run.stdout).map((line) => line.slice(3)).join('\n') + '\n');
    assert.equal(statSync(join(logDir, name)).mode & 0o777, 0o600);
    const again = runChild({ logDir }, { kind: 'many', count: 2 }, { TZ: 'UTC' });
    assert.equal(again.status, 0);
    assert.equal(lines(readFileSync(join(logDir, name), 'utf8')).length, 8);
  });

  test('deletes our files older than retainDays at start and nothing else', () => {
    const logDir = join(work, `retention-${++serial}`);
    mkdirSync(logDir);
    const day = (offset: number) => {
      const date = new Date();
      date.setUTCDate(date.getUTCDate() - offset);
      return `memory-cron-${date.toISOString().slice(0, 10)}.log`;
    };
    const names = [day(40), day(15), day(14), day(1), 'memory-cron-notes.log', 'other-2000-01-01.log', 'README'];
    for (const name of names) writeFileSync(join(logDir, name), '{}\n');
    const run = runChild({ logDir, retainDays: 14 }, { kind: 'many', count: 1 }, { TZ: 'UTC' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(readdirSync(logDir).sort(), [day(0), day(14), day(1), 'memory-cron-notes.log', 'other-2000-01-01.log', 'README'].sort());
    assert.ok(!existsSync(join(logDir, day(15))));
  });

  test('a run that crosses midnight moves on to the next day\'s file', () => {
    const logDir = join(work, `midnight-${++serial}`);
    const lateEvening = new Date(2026, 10, 23, 23, 59, 59);
    const pastMidnight = new Date(2026, 10, 24, 0, 0, 1);
    const file = new DailyFile(logDir, lateEvening);
    file.write('{"a":1}\n', lateEvening);
    file.write('{"a":2}\n', pastMidnight);
    file.flush();
    file.close();
    assert.equal(readFileSync(join(logDir, 'memory-cron-2026-11-23.log'), 'utf8'), '{"a":1}\n');
    assert.equal(readFileSync(join(logDir, 'memory-cron-2026-11-24.log'), 'utf8'), '{"a":2}\n');
  });

  test('a full disk stops the file, not the job: one error line, and the console goes on', { skip: !existsSync('/dev/full') && 'needs /dev/full' }, () => {
    const logDir = join(work, `full-${++serial}`);
    mkdirSync(logDir);
    symlinkSync('/dev/full', join(logDir, `memory-cron-${new Date().toISOString().slice(0, 10)}.log`));
    const run = runChild({ logDir }, { kind: 'many', count: 3 }, { TZ: 'UTC' });
    assert.equal(run.status, 0, run.stderr);
    const got = lines(run.stdout).map((line) => JSON.parse(line));
    assert.deepEqual(
      got.map((record) => record.msg),
      ['line', 'log file cannot be written; logging to the console only', 'line', 'line'],
    );
    assert.equal(got[1].err.code, 'ENOSPC');
  });

  test('a LOG_DIR that cannot be created is a configuration error naming it', () => {
    const blocker = join(work, `blocker-${++serial}`);
    writeFileSync(blocker, '');
    assert.throws(() => createLog({ logDir: join(blocker, 'logs'), env: {} }), (error: Error & { code?: string }) => error.code === 'MC_CONFIG' && error.message.includes('LOG_DIR'));
  });
});
