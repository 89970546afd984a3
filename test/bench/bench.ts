// `npm run bench`: the night job against the floor (test/bench/floor.ts) on the same generated history, then on
// 2× and 4× the history, an incremental night (1% new chats on top of 4×) with and without the re-read window
// (REREAD_WINDOW=0), a night with latency per page, and a night against a slow memory webhook (it answers each POST
// after 50 ms: the store is the bottleneck, so the night should take about conversations × 50 ms ÷ concurrency),
// with the floor against the same webhook beside it, and a night whose pages each hold 20 rows with a 5 MB photo
// (--attachment-mb, --attachment-chats, --skip-attachments): its peak RSS beside the plain-text night's.
// Prints one table and one JSON line. Flags: --chats N (default 100000), --skip-4x (no 2×/4×/incremental),
// --skip-2x, --skip-floor (while tuning memory), --skip-key (no night with a state key), --keep-state (leave the state folders, and print where), --skip-latency, --latency-ms MS (default 10),
// --skip-webhook, --webhook-ms MS (default 50), --webhook-chats N (default chats ÷ 5: at 100k chats a 50 ms night
// takes minutes), --cpu-prof DIR (profiles every CLI run into DIR), --verbose (each run's own report, on stderr),
// --node-options STRING (added to NODE_OPTIONS for the CLI runs, e.g. a diagnostic --import). The CLI runs with the
// NODE_OPTIONS the service sets (systemd/memory-cron.service), so the bench measures the job as it runs at night.
// The stand-in and the receiver run in one child process, the job and the floor each in another, and this
// driver only waits while they run: on 2 cores the job gets one, the servers the other.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { measureNode, type Measured } from './measure.ts';
import type { ServerReply, ServerRequest, Tally } from './servers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const serviceNodeOptions = /^Environment=NODE_OPTIONS=(.+)$/m.exec(readFileSync(join(root, 'systemd', 'memory-cron.service'), 'utf8'))?.[1] ?? '';
const day = 86_400_000;
const year = 365 * day;

const { values: flags } = parseArgs({
  options: {
    chats: { type: 'string', default: '100000' },
    'skip-4x': { type: 'boolean', default: false },
    'skip-latency': { type: 'boolean', default: false },
    'skip-2x': { type: 'boolean', default: false },
    'skip-floor': { type: 'boolean', default: false },
    'skip-key': { type: 'boolean', default: false },
    'keep-state': { type: 'boolean', default: false },
    'latency-ms': { type: 'string', default: '10' },
    'skip-webhook': { type: 'boolean', default: false },
    'skip-attachments': { type: 'boolean', default: false },
    'attachment-mb': { type: 'string', default: '5' },
    'attachment-chats': { type: 'string', default: '100' },
    'webhook-ms': { type: 'string' },
    'webhook-chats': { type: 'string' },
    'cpu-prof': { type: 'string' },
    verbose: { type: 'boolean', default: false },
    'node-options': { type: 'string' },
  },
});
const chats = Number(flags.chats);
const latencyMs = Number(flags['latency-ms']);
const webhookMs = Number(flags['webhook-ms'] ?? 50);
const webhookChats = Number(flags['webhook-chats'] ?? Math.round(chats / 5));
const concurrency = 4;
const attachmentMb = Number(flags['attachment-mb']);
const attachmentChats = Number(flags['attachment-chats']);
if (!Number.isSafeInteger(chats) || chats < 100) throw new Error('--chats must be an integer ≥ 100');
if (!Number.isSafeInteger(webhookChats) || webhookChats < 100) throw new Error('--webhook-chats must be an integer ≥ 100');
if (!(attachmentMb > 0) || !Number.isSafeInteger(attachmentChats) || attachmentChats < 20) throw new Error('--attachment-mb must be positive and --attachment-chats an integer ≥ 20');
if (!(webhookMs > 0)) throw new Error('--webhook-ms must be a positive number');
if (!existsSync(cli)) throw new Error('dist/cli.js not found: run `npm run build` first (npm run bench does)');

/** One measured run: a row of the table. */
interface Row {
  readonly name: string;
  readonly chats: number;
  readonly conversations: number;
  readonly pages: number;
  readonly wallSeconds: number;
  readonly peakRssMb: number;
  readonly peakAnonMb: number;
  readonly digest: string;
  /** Seconds until paging was done (the job's summary `phases.pagingMs`, the floor's `pagedSeconds`); delivery follows. */
  readonly pagingSeconds: number;
}

const servers = await startServers();
const stateDirs: string[] = [];
const rows = new Map<string, Row>();
try {
  const historyEnd = Date.now() - day; // every conversation of the history is closed
  const load = (count: number, years: number) => servers.ask({ type: 'load', count, seed: 2026, startMs: historyEnd - years * year, endMs: historyEnd, firstId: 1, append: false });

  await load(chats, 1);
  if (!flags['skip-floor']) rows.set('floor', await runFloor('floor', chats));
  rows.set('cli', await runCliNight('cli', chats, await freshStateDir()));
  check(flags['skip-floor'] || rows.get('cli')!.digest === rows.get('floor')!.digest, 'the job and the floor delivered different conversations');
  if (!flags['skip-key']) {
    const keyFile = join(await freshStateDir(), 'state-key');
    await writeFile(keyFile, 'a bench state key, 32 characters or more\n', { mode: 0o600 });
    rows.set('keyed', await runCliNight('cli, state key', chats, await freshStateDir(), { STATE_KEY_FILE: keyFile }));
    check(rows.get('keyed')!.digest === rows.get('cli')!.digest, 'the job with a state key delivered different conversations');
  }
  if (!flags['skip-latency']) {
    await servers.ask({ type: 'latency', ms: latencyMs });
    rows.set('latency', await runCliNight(`cli, ${latencyMs} ms/page`, chats, await freshStateDir()));
    await servers.ask({ type: 'latency', ms: 0 });
  }
  if (!flags['skip-webhook']) {
    await load(webhookChats, 1);
    await servers.ask({ type: 'webhook-latency', ms: webhookMs });
    if (!flags['skip-floor']) rows.set('floorWebhook', await runFloor(`floor, ${webhookMs} ms webhook`, webhookChats));
    rows.set('webhook', await runCliNight(`cli, ${webhookMs} ms webhook`, webhookChats, await freshStateDir()));
    check(flags['skip-floor'] || rows.get('webhook')!.digest === rows.get('floorWebhook')!.digest, 'the job and the floor delivered different conversations to the slow webhook');
    await servers.ask({ type: 'webhook-latency', ms: 0 });
  }
  if (!flags['skip-attachments']) {
    await servers.ask({ type: 'load', count: attachmentChats, seed: 5, startMs: historyEnd - 7 * day, endMs: historyEnd, firstId: 1, append: false, attachmentMb });
    // A page of 20 such rows is ~140 MB on the wire: the default HTTP_TIMEOUT (30 s for the whole reply) is too short
    // for the stand-in on a busy machine.
    rows.set('attachments', await runCliNight(`cli, 20 × ${attachmentMb} MB photos/page`, attachmentChats, await freshStateDir(), { HTTP_TIMEOUT: '300s' }));
  }
  if (!flags['skip-4x']) {
    if (!flags['skip-2x']) {
      await load(2 * chats, 2);
      rows.set('cli2x', await runCliNight('cli 2×', 2 * chats, await freshStateDir()));
    }
    await load(4 * chats, 4);
    const stateDir = await freshStateDir();
    rows.set('cli4x', await runCliNight('cli 4×', 4 * chats, stateDir));
    const added = Math.round(chats * 4 * 0.01);
    await servers.ask({ type: 'load', count: added, seed: 7, startMs: historyEnd + 60_000, endMs: Date.now() - 2 * 3_600_000, firstId: 4 * chats + 1, append: true });
    // The same night without the re-read window (REREAD_WINDOW=0), on a copy of the 4× state: what the window costs.
    const withoutWindow = await freshStateDir();
    await cp(stateDir, withoutWindow, { recursive: true });
    rows.set('incremental', await runCliNight('cli 4× +1%', added, stateDir));
    rows.set('incrementalNoWindow', await runCliNight('cli 4× +1%, no window', added, withoutWindow, { REREAD_WINDOW: '0' }));
  }
  report(chats, rows);
} finally {
  servers.child.disconnect();
  if (flags['keep-state']) console.error(`state folders kept: ${stateDirs.join(' ')}`);
  else await Promise.all(stateDirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

async function freshStateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'memory-cron-bench-state-'));
  stateDirs.push(dir);
  return dir;
}

async function runCliNight(name: string, count: number, stateDir: string, env: NodeJS.ProcessEnv = {}): Promise<Row> {
  const profile = flags['cpu-prof'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', flags['cpu-prof']];
  const nodeOptions = { NODE_OPTIONS: [serviceNodeOptions, flags['node-options'] ?? ''].join(' ').trim() };
  const run = await measureNode([...profile, cli, 'run'], { ...envOf(), ...nodeOptions, ...env, STATE_DIR: stateDir }, root);
  const summary = run.stdout.split('\n').flatMap((line) => (line.includes('"summary"') ? [JSON.parse(line).summary] : [])).at(-1);
  const tally = await takeTally();
  if (flags.verbose) console.error(`${name}: ${JSON.stringify(summary)}`);
  check(run.code === 0 && summary !== undefined, `${name}: the CLI exited ${run.code}\n${run.stdout.slice(-2000)}${run.stderr.slice(-2000)}`);
  check(tally.failed === 0 && tally.conversations === summary.conversations.sent, `${name}: the receiver saw ${tally.conversations} conversations, the CLI says it sent ${summary.conversations.sent}`);
  return rowOf(name, count, tally, summary.pages, run, summary.phases.pagingMs / 1000);
}

async function runFloor(name: string, count: number): Promise<Row> {
  const run = await measureNode(['--import', 'tsx', join(root, 'test', 'bench', 'floor.ts')], envOf(), root);
  const tally = await takeTally();
  check(run.code === 0, `${name}: exited ${run.code}\n${run.stderr.slice(-2000)}`);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { pages: number; conversations: number; failed: number; pagedSeconds: number };
  if (flags.verbose) console.error(`${name}: ${JSON.stringify(result)}`);
  check(result.failed === 0 && tally.conversations === result.conversations, `${name}: the receiver saw ${tally.conversations} conversations, the floor sent ${result.conversations}`);
  return rowOf(name, count, tally, result.pages, run, result.pagedSeconds);
}

function envOf(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], BASE_URL: servers.ready.apiUrl, API_KEY: servers.ready.apiKey, WEBHOOK_URL: servers.ready.webhookUrl, CONVERSATION_HOUR_WINDOW: '1', CONCURRENCY: String(concurrency) };
}

async function takeTally(): Promise<Tally> {
  const reply = await servers.ask({ type: 'tally' });
  if (reply.type !== 'tally') throw new Error(`unexpected reply ${reply.type}`);
  return reply.tally;
}

function rowOf(name: string, count: number, tally: Tally, pages: number, run: Measured, pagingSeconds: number): Row {
  return { name, chats: count, conversations: tally.conversations, pages, wallSeconds: run.wallSeconds, peakRssMb: run.peakRssMb, peakAnonMb: run.peakAnonMb, digest: tally.digest, pagingSeconds };
}

function report(n: number, all: Map<string, Row>): void {
  const get = (key: string) => all.get(key);
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : round(a / b, 3));
  const latency = get('latency');
  // The night a slow webhook allows: every conversation waits `webhookMs` for its answer, `concurrency` at a time.
  const afterPaging = (row: Row | undefined) => (row === undefined ? undefined : row.wallSeconds - row.pagingSeconds);
  const webhookBound = (row: Row | undefined) => (row === undefined ? undefined : (row.conversations * webhookMs) / concurrency / 1000);
  const ratios = {
    cliVsFloor: ratio(get('cli')?.wallSeconds, get('floor')?.wallSeconds),
    keyedVsCli: ratio(get('keyed')?.wallSeconds, get('cli')?.wallSeconds),
    rssAttachmentsMb: get('attachments') === undefined ? undefined : round(get('attachments')!.peakRssMb, 1),
    rssPlainMb: get('cli') === undefined ? undefined : round(get('cli')!.peakRssMb, 1),
    rss4xMb: get('cli4x') === undefined ? undefined : round(get('cli4x')!.peakRssMb, 1),
    rssGrowth1xTo4x: ratio(get('cli4x')?.peakRssMb, get('cli')?.peakRssMb),
    anon4xMb: get('cli4x') === undefined ? undefined : round(get('cli4x')!.peakAnonMb, 1),
    anonGrowth1xTo4x: ratio(get('cli4x')?.peakAnonMb, get('cli')?.peakAnonMb),
    incrementalVsFull4x: ratio(get('incremental')?.wallSeconds, get('cli4x')?.wallSeconds),
    windowPages: get('incremental') === undefined || get('incrementalNoWindow') === undefined ? undefined : get('incremental')!.pages - get('incrementalNoWindow')!.pages,
    windowSeconds: get('incremental') === undefined || get('incrementalNoWindow') === undefined ? undefined : round(get('incremental')!.wallSeconds - get('incrementalNoWindow')!.wallSeconds, 2),
    latencyVsPagesTimesLatency: latency === undefined ? undefined : ratio(latency.wallSeconds, (latency.pages * latencyMs) / 1000),
    webhookVsBound: ratio(get('webhook')?.wallSeconds, webhookBound(get('webhook'))),
    floorWebhookVsBound: ratio(get('floorWebhook')?.wallSeconds, webhookBound(get('floorWebhook'))),
    webhookVsFloor: ratio(get('webhook')?.wallSeconds, get('floorWebhook')?.wallSeconds),
    // Not goals, to tell where a gap is: paging, then the rest (delivery), of the job against the floor's.
    cliPagingVsFloor: ratio(get('cli')?.pagingSeconds, get('floor')?.pagingSeconds),
    cliAfterPagingVsFloor: ratio(afterPaging(get('cli')), afterPaging(get('floor'))),
    latencyPagingVsPagesTimesLatency: latency === undefined ? undefined : ratio(latency.pagingSeconds, (latency.pages * latencyMs) / 1000),
  };
  const goals = {
    cliVsFloor: ratios.cliVsFloor === undefined ? undefined : ratios.cliVsFloor <= 1.3,
    rssAttachments: ratios.rssAttachmentsMb === undefined ? undefined : ratios.rssAttachmentsMb < 256,
    rss4x: ratios.rss4xMb === undefined ? undefined : ratios.rss4xMb <= 200,
    rssGrowth: ratios.rssGrowth1xTo4x === undefined ? undefined : ratios.rssGrowth1xTo4x <= 1.15,
    incremental: ratios.incrementalVsFull4x === undefined ? undefined : ratios.incrementalVsFull4x <= 0.05,
    latency: ratios.latencyVsPagesTimesLatency === undefined ? undefined : ratios.latencyVsPagesTimesLatency <= 1.1,
    webhook: ratios.webhookVsBound === undefined ? undefined : ratios.webhookVsBound <= 1.1,
  };
  const header = ['run', 'chats', 'conversations', 'pages', 'wall s', 'chats/s', 'conv/s', 'peak RSS MB', 'peak anon MB'];
  const lines = [...all.values()].map((row) => [
    row.name,
    String(row.chats),
    String(row.conversations),
    String(row.pages),
    row.wallSeconds.toFixed(2),
    String(Math.round(row.chats / row.wallSeconds)),
    String(Math.round(row.conversations / row.wallSeconds)),
    row.peakRssMb.toFixed(0),
    row.peakAnonMb.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((w, i) => '-' + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`);
  for (const line of lines) console.log(format(line));
  console.log('');
  const describe = (label: string, value: number | undefined, goal: string, met: boolean | undefined) => value !== undefined && console.log(`${label.padEnd(44)} ${String(value).padStart(7)}  (goal ${goal}: ${met ? 'met' : 'NOT met'})`);
  describe('job / floor wall time', ratios.cliVsFloor, '≤ 1.3', goals.cliVsFloor);
  if (ratios.cliPagingVsFloor !== undefined) console.log(`${'  paging / the floor\'s, the rest / the floor\'s'.padEnd(44)} ${String(ratios.cliPagingVsFloor).padStart(7)}  ${ratios.cliAfterPagingVsFloor}  (not goals)`);
  describe(`peak RSS, pages of 20 × ${attachmentMb} MB photos (MB)`, ratios.rssAttachmentsMb, '< 256', goals.rssAttachments);
  if (ratios.rssAttachmentsMb !== undefined && ratios.rssPlainMb !== undefined) console.log(`${'  beside the plain-text night (MB)'.padEnd(44)} ${String(ratios.rssPlainMb).padStart(7)}  (${chats} chats)`);
  describe('peak RSS at 4× (MB)', ratios.rss4xMb, '≤ 200', goals.rss4x);
  describe('peak RSS 4× / 1×', ratios.rssGrowth1xTo4x, '≤ 1.15', goals.rssGrowth);
  if (ratios.anon4xMb !== undefined) console.log(`${'peak anon RSS at 4× (MB), 4× / 1× (not goals)'.padEnd(44)} ${String(ratios.anon4xMb).padStart(7)}  ${ratios.anonGrowth1xTo4x}`);
  describe('incremental night / full 4× night', ratios.incrementalVsFull4x, '≤ 0.05', goals.incremental);
  if (ratios.windowPages !== undefined) console.log(`${'re-read window on the incremental night: pages, s (not goals)'.padEnd(44)} ${String(ratios.windowPages).padStart(7)}  ${ratios.windowSeconds}`);
  describe(`${latencyMs} ms/page night / (pages × ${latencyMs} ms)`, ratios.latencyVsPagesTimesLatency, '≤ 1.1', goals.latency);
  if (ratios.latencyPagingVsPagesTimesLatency !== undefined) console.log(`${'  its paging alone / (pages × latency)'.padEnd(44)} ${String(ratios.latencyPagingVsPagesTimesLatency).padStart(7)}  (not a goal: delivery follows paging)`);
  describe(`${webhookMs} ms webhook night / (conv × ${webhookMs} ms ÷ ${concurrency})`, ratios.webhookVsBound, '≤ 1.1', goals.webhook);
  if (ratios.floorWebhookVsBound !== undefined) console.log(`${`the floor, same webhook (not a goal)`.padEnd(44)} ${String(ratios.floorWebhookVsBound).padStart(7)}  job / floor ${ratios.webhookVsFloor}`);
  const runs = Object.fromEntries([...all].map(([key, row]) => [key, { chats: row.chats, conversations: row.conversations, pages: row.pages, wallSeconds: round(row.wallSeconds, 2), pagingSeconds: round(row.pagingSeconds, 2), chatsPerSecond: Math.round(row.chats / row.wallSeconds), conversationsPerSecond: Math.round(row.conversations / row.wallSeconds), peakRssMb: round(row.peakRssMb, 1), peakAnonMb: round(row.peakAnonMb, 1) }]));
  console.log(JSON.stringify({ bench: 'memory-cron', chats: n, latencyMs, webhookMs, webhookChats, concurrency, node: process.version, runs, ratios, goals }));
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(`bench: ${message}`);
}

// Starts test/bench/servers.ts in its own process and returns a way to ask it things.
async function startServers() {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'test', 'bench', 'servers.ts')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (reply: ServerReply) => void>();
  let nextId = 0;
  const ready = await new Promise<Extract<ServerReply, { type: 'ready' }>>((resolve, reject) => {
    child.once('error', reject).once('exit', (code) => reject(new Error(`bench servers exited ${code}`)));
    child.on('message', (reply: ServerReply) => {
      if (reply.type === 'ready') resolve(reply);
      else waiting.get(reply.id)?.(reply);
    });
  });
  const ask = (request: DistributiveOmit<ServerRequest, 'id'>) =>
    new Promise<ServerReply>((resolve) => {
      const id = nextId++;
      waiting.set(id, (reply) => (waiting.delete(id), resolve(reply)));
      child.send({ ...request, id });
    });
  return { child, ready, ask };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
