import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
}

/** Starts `node dist/cli.js ...args` with exactly `env` (plus PATH), capturing its output. */
export function startCli(args: readonly string[], env: Record<string, string | undefined>, program: CliProgram = { node: process.execPath, cli: cliPath }): CliRun {
  const argv = [program.cli, ...(program.command === undefined ? [] : [program.command]), ...args];
  const child = spawn(program.node, argv, { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Starts `run` and resolves once it holds STATE_DIR (it has written holder.json); give it a slow stand-in. */
export async function startHoldingRun(env: Record<string, string | undefined>, stateDir: string): Promise<CliRun> {
  const run = startCli(['run'], env);
  while (!existsSync(join(stateDir, 'holder.json'))) await new Promise((resolve) => setTimeout(resolve, 20));
  return run;
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
