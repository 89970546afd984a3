import type { Config } from '../config.js';
import { runNight } from '../job.js';
import { progressDisplay, type ProgressDisplay } from '../job/progress-display.js';
import { deliveryProblem } from '../job/run-outcome.js';
import { copyStateDir, type StateCopy } from '../state/state-copy.js';
import { commandLog, exitCodeOf, exitFor, logFailure, stopSignal, version } from './command-context.js';
import { dryRunSender } from './dry-run-sender.js';

/**
 * `memory-cron run`: the nightly job; resolves to the exit code. With `--dry-run` the real job runs on a
 * temporary copy of STATE_DIR with a `send` that prints NDJSON on stdout (logs on stderr), then the copy goes.
 */
export async function runCommand(config: Config, commandLine: string): Promise<number> {
  let display: ProgressDisplay | undefined;
  const log = commandLog(config, { toStderr: config.dryRun, command: 'run', beforeWrite: () => display?.clear() });
  display = progressDisplay({ stream: process.stderr, log: log.logger });
  const stop = stopSignal(config.deadlineMs);
  let copy: StateCopy | undefined;
  try {
    if (config.dryRun) copy = await copyStateDir(config.stateDir);
    const runConfig = copy === undefined ? config : { ...config, stateDir: copy.dir };
    const summary = await runNight(runConfig, { log: log.logger, signal: stop.signal, version, command: commandLine, progress: display, ...(copy === undefined ? {} : { send: dryRunSender() }) });
    display.done();
    const { conversations } = summary;
    const what = copy === undefined ? `${conversations.sent} conversations sent` : `${conversations.sent} conversations printed (dry run: nothing posted, ${config.stateDir} unchanged)`;
    log.logger.info({ summary }, `run finished: ${summary.chats.read} chats read, ${what}, ${conversations.open} open, ${conversations.dead + conversations.parked} dead`);
    return exitFor(log.logger, deliveryProblem(conversations));
  } catch (error) {
    display.done();
    logFailure(log.logger, error);
    return exitCodeOf(error);
  } finally {
    stop.dispose();
    await copy?.remove();
    await log.flush();
  }
}
