// What the two systemd suites share: running a command, whether systemd-analyze is here, and unit copies it accepts.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's systemd/ folder. */
export const systemdDir = fileURLToPath(new URL('../../systemd', import.meta.url));

/** The skip reason of the tests that need systemd-analyze, or false when it is installed. */
export const noAnalyze = spawnSync('systemd-analyze', ['--version']).status !== 0 && 'systemd-analyze is not installed (apt-get install systemd): unit checks skipped';

/** Runs `command` to its end (at most 5 minutes) with `env` over this process's, `input` on stdin. */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, input?: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env }, input, timeout: 300_000 });
}

/**
 * Copies units of systemd/ into a fresh folder under `work`, as `systemd-analyze verify` requires them: each service's
 * ExecStart= names this node and an empty cli.js that exists, running the command given (`services`: file name →
 * command); the `others` (timers) are copied as they are. Returns the folder.
 */
export function testableUnits(work: string, services: Readonly<Record<string, string>>, others: readonly string[]): string {
  const dir = mkdtempSync(join(work, 'units-'));
  const cli = join(dir, 'cli.js');
  writeFileSync(cli, '');
  for (const [name, command] of Object.entries(services)) {
    writeFileSync(join(dir, name), readFileSync(join(systemdDir, name), 'utf8').replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${cli} ${command}`));
  }
  for (const name of others) writeFileSync(join(dir, name), readFileSync(join(systemdDir, name)));
  return dir;
}

/** Asserts that `systemd-analyze verify` passes on `units` in `dir`, printing no line that names memory-cron (a warning). */
export function assertVerifies(dir: string, units: readonly string[]): void {
  const result = run('systemd-analyze', ['verify', ...units.map((unit) => join(dir, unit))]);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual((result.stdout + result.stderr).split('\n').filter((line) => line.includes('memory-cron')), []);
}

/** Points the ExecStart= of `unit` in `dir` at a node that does not exist, so verify must refuse it; returns its path. */
export function breakExecStart(dir: string, unit: string): string {
  const path = join(dir, unit);
  writeFileSync(path, readFileSync(path, 'utf8').replace(/^ExecStart=\S+/m, `ExecStart=${join(dir, 'no-node')}`));
  return path;
}
