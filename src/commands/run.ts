import { counted } from '../log/counted.js';
import type { Config } from '../config.js';
import { failureOf, type McError } from '../errors.js';
import { runNight } from '../job.js';
import type { RunSummary } from '../status/run-summary.js';
import { progressDisplay, type ProgressDisplay } from '../status/progress-display.js';
import { deliveryProblem, logParkedWaiting } from '../status/run-outcome.js';
import { retractionProblem } from '../retractions/retraction-problem.js';
import { retractionsLine } from '../retractions/retraction-counts-line.js';
import { lastKnownTotals, startRunMonitor } from '../monitoring/run-monitor.js';
import { recordStopAfterEnd } from '../status/status-checkpoints.js';
import { copyStateDir, type StateCopy } from './state-copy.js';
import { commandLog, exitCodeOf, exitFor, logFailure, stopSignal, stoppedAfterDelivery, version, weakSecretWarning } from './command-context.js';
import { dryRunSender } from './dry-run-sender.js';

/**
 * `memory-cron run`: the nightly job; resolves to the exit code. With `--dry-run` the real job runs on a
 * temporary copy of STATE_DIR with a `send` that prints NDJSON on stdout (logs on stderr), then the copy goes.
 * A real run ends, success or failure, by writing METRICS_FILE and pinging HEALTHCHECK_URL (a dry run does neither).
 * SIGINT, SIGTERM or RUN_DEADLINE arriving after the night got to its end (delivery finished, the summary written)
 * still ends the run with its code (130, 143, 8: README "Exit codes"), saying the work was done; status.json's last
 * run carries that code too, and so do the metrics and the ping unless the stop came while they were being sent.
 */
export async function runCommand(config: Config, commandLine: string): Promise<number> {
  let display: ProgressDisplay | undefined;
  const log = commandLog(config, { toStderr: config.dryRun, command: 'run', beforeWrite: () => display?.clear() });
  display = progressDisplay({ stream: process.stderr, log: log.logger });
  const startedAt = new Date();
  const monitor = config.dryRun ? undefined : startRunMonitor(config, log.logger);
  const stop = stopSignal(config.deadlineMs);
  let copy: StateCopy | undefined;
  let summary: RunSummary | undefined;
  let problem: McError | undefined;
  let exitCode = 1;
  let line = '';
  // A stop that came after the night's end: logged once, and the exit, the monitor's line and status.json take its code.
  let stopLogged = false;
  const stopAfterEnd = async (): Promise<void> => {
    const stopped = summary === undefined || stopLogged ? undefined : stoppedAfterDelivery(stop.signal, problem);
    if (stopped === undefined || summary === undefined) return;
    stopLogged = true;
    logFailure(log.logger, stopped);
    line = `${stopped.code}: ${stopped.message}`;
    exitCode = exitCodeOf(stopped);
    if (copy !== undefined) return;
    await recordStopAfterEnd(config.stateDir, summary.startedAt, { exitCode, error: { code: stopped.code, message: stopped.message } }).catch((error: unknown) => {
      log.logger.warn({ err: error }, 'status.json could not record the stop; `memory-cron status` shows the run as it ended before it');
    });
  };
  const weak = weakSecretWarning(config);
  if (weak !== undefined) log.logger.warn({ setting: 'WEBHOOK_SECRET' }, weak);
  try {
    try {
      if (config.dryRun) copy = await copyStateDir(config.stateDir);
      const runConfig = copy === undefined ? config : { ...config, stateDir: copy.dir };
      summary = await runNight(runConfig, { log: log.logger, signal: stop.signal, version, command: commandLine, progress: display, ...(copy === undefined ? {} : { send: dryRunSender(), sendRetraction: dryRunSender() }) });
      display.done();
      const { conversations } = summary;
      const what = copy === undefined ? `${counted(conversations.sent, 'conversation')} sent` : `${counted(conversations.sent, 'conversation')} printed (dry run: nothing posted, ${config.stateDir} unchanged)`;
      line = `run finished: ${counted(summary.chats.read, 'chat')} read, ${what}, ${conversations.open} open, ${conversations.dead} dead, ${conversations.parked} parked${conversations.waiting === 0 ? '' : `, ${conversations.waiting} not tried (webhook ${conversations.unreachable ? 'unreachable' : 'down'})`}${retractionsLine(summary.retractions)}`;
      log.logger.info({ summary }, line);
      logParkedWaiting(log.logger, summary.totals.parked); // this night's and earlier nights': no run sends them again
      problem = deliveryProblem(conversations, config.webhookUrl) ?? retractionProblem(summary.retractions, config.retractWebhookUrl);
      if (problem !== undefined) line = `${line}; ${problem.code}: ${problem.message}`;
      exitCode = exitFor(log.logger, problem);
      await stopAfterEnd();
    } catch (error) {
      display.done();
      logFailure(log.logger, error);
      const { code, message } = failureOf(error);
      line = `${code}: ${message}`;
      exitCode = exitCodeOf(error);
    } finally {
      await copy?.remove();
    }
    if (monitor !== undefined) {
      const totals = summary === undefined ? await lastKnownTotals(config.stateDir) : { ...summary.totals, openConversations: summary.conversations.open, countedAt: summary.finishedAt };
      await monitor.finish({ startedAt: summary === undefined ? startedAt : new Date(summary.startedAt), finishedAt: summary === undefined ? new Date() : new Date(summary.finishedAt), exitCode, line, summary, totals });
    }
    await stopAfterEnd(); // a stop while the metrics were written or the healthcheck pinged
    return exitCode;
  } finally {
    stop.dispose();
    await log.flush();
  }
}
