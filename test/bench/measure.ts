// Runs one child process and measures it from outside: wall time from spawn to exit, and peak RSS (VmHWM) taken
// by GNU time when /usr/bin/time is present, else reported by the child itself through a tiny --import preload.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How one measured child ended. */
export interface Measured {
  readonly code: number | null;
  readonly wallSeconds: number;
  readonly peakRssMb: number;
  /** Peak RssAnon: RSS without file-backed pages (LevelDB's mapped tables); 0 where /proc is missing. */
  readonly peakAnonMb: number;
  readonly stdout: string;
  readonly stderr: string;
}

const gnuTime = '/usr/bin/time';
const maxRssPreload = fileURLToPath(new URL('./max-rss-preload.mjs', import.meta.url));

/** Runs `node ...nodeArgs` with `env`, waits for it, and measures it. */
export async function measureNode(nodeArgs: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), 'memory-cron-bench-rss-'));
  const rssFile = join(dir, 'rss');
  const anonFile = join(dir, 'anon');
  const useTime = existsSync(gnuTime);
  const [command, args] = useTime
    ? [gnuTime, ['-f', '%M', '-o', rssFile, process.execPath, '--import', maxRssPreload, ...nodeArgs]]
    : [process.execPath, ['--import', maxRssPreload, ...nodeArgs]];
  const childEnv = { ...env, BENCH_ANON_FILE: anonFile, ...(useTime ? {} : { BENCH_MAX_RSS_FILE: rssFile }) };
  try {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', (c) => resolve(c)));
    const wallSeconds = (performance.now() - started) / 1000;
    const kb = Number.parseInt((await readFile(rssFile, 'utf8').catch(() => '0')).trim().split('\n').at(-1) ?? '0', 10);
    const anonKb = Number.parseInt((await readFile(anonFile, 'utf8').catch(() => '0')).trim(), 10);
    return { code, wallSeconds, peakRssMb: kb / 1024, peakAnonMb: anonKb / 1024, stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
