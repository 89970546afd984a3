import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { LockProbe } from '../../src/statedir/lock-probe.js';

const script = fileURLToPath(new URL('../fixtures/hold-lock.ts', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

/** Another process holding STATE_DIR's LevelDB open (test/fixtures/hold-lock.ts), until `release()`. */
export interface LockHolder {
  readonly pid: number;
  /** Closes the database and waits for the process to exit. */
  release(): Promise<void>;
}

/** Starts a process that opens STATE_DIR/db and resolves once it says it holds the lock (its "open" line): no sleep. */
export async function holdLock(stateDir: string): Promise<LockHolder> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, 'hold', stateDir], { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  let out = '';
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.startsWith('open\n')) resolve();
    });
    exited.then(([code]) => reject(new Error(`the lock holder exited (${code}) before it held the lock: ${out}`)), reject);
  });
  return {
    pid: child.pid as number,
    async release() {
      child.stdin.end();
      await exited;
    },
  };
}

/** What probeStateLock says about STATE_DIR when asked from another process (the test's own may hold the state). */
export async function probeFromAnotherProcess(stateDir: string): Promise<LockProbe> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, 'probe', stateDir], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  let out = '';
  child.stdout.on('data', (chunk: string) => (out += chunk));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`the probe exited ${code}: ${out}`);
  return JSON.parse(out) as LockProbe;
}

/** A pid no process has now (from the top of the pid range down), for a status.json naming a dead run. */
export function deadPid(): number {
  for (let pid = 4_194_000; pid > 1; pid--) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
  throw new Error('no free pid');
}
