import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PagePause, StandIn } from '../fixtures/anythingllm-stand-in.ts';

/** The built CLI (`npm test` builds first). */
export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** What a finished CLI run left behind. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout's JSON log lines, parsed (other lines left out). */
  readonly lines: Record<string, any>[];
}

/** A started CLI run: its process and a promise of its result. */
export interface CliRun {
  readonly child: ReturnType<typeof spawn>;
  readonly done: Promise<CliResult>;
}

/** Which program to start: this node and the repo's dist/cli.js unless said otherwise (an installed copy). */
export interface CliProgram {
  readonly node: string;
  readonly cli: string;
  /** A command word put before `args` (e.g. `run` from a unit's ExecStart=). */
  readonly command?: string;
  /** The working folder (a relative STATE_DIR, like the default ./state, lies in it). @default this process's */
  readonly cwd?: string;
}

/** Starts `node dist/cli.js ...args` with exactly `env` (plus PATH), capturing its output. */
export function startCli(args: readonly string[], env: Record<string, string | undefined>, program: CliProgram = { node: process.execPath, cli: cliPath }): CliRun {
  const argv = [program.cli, ...(program.command === undefined ? [] : [program.command]), ...args];
  const child = spawn(program.node, argv, { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(program.cwd === undefined ? {} : { cwd: program.cwd }) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, lines: parseLines(stdout) }));
  });
  return { child, done };
}

/** A run that holds STATE_DIR until `release()`: its page requests wait, unanswered, in the stand-in. */
export interface HoldingRun extends CliRun, PagePause {}

/**
 * Starts `run` (with `args`) against a paused stand-in and resolves once its first page request is held there: the
 * run has taken the lock (it opens the state before it pages) and cannot finish, whatever the machine's speed, until
 * `release()`. HTTP_TIMEOUT is set to an hour so the held request does not time out while the test works.
 */
export async function startHoldingRun(env: Record<string, string | undefined>, standIn: StandIn, args: readonly string[] = ['run']): Promise<HoldingRun> {
  const pause = standIn.pause();
  const run = startCli(args, { ...env, HTTP_TIMEOUT: '1h' });
  const exitedFirst = run.done.then((result) => {
    throw new Error(`the run ended before it paged: exit ${result.code}\n${result.stdout}${result.stderr}`);
  });
  await Promise.race([pause.holding(), exitedFirst]);
  exitedFirst.catch(() => undefined);
  return { ...run, ...pause };
}

/** Runs the CLI to the end. */
export function runCli(args: readonly string[], env: Record<string, string | undefined>, program?: CliProgram): Promise<CliResult> {
  return startCli(args, env, program).done;
}

/** The run's summary (the `summary` field of its "run finished" line). */
export function summaryOf(result: CliResult): Record<string, any> | undefined {
  return result.lines.find((line) => line['summary'] !== undefined)?.['summary'];
}

function parseLines(text: string): Record<string, any>[] {
  return text.split('\n').flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return parsed !== null && typeof parsed === 'object' ? [parsed as Record<string, any>] : [];
    } catch {
      return [];
    }
  });
}
