import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { StatusFile, StatusTotals } from '../status/status-shape.js';
import { readStatusFile } from '../statedir/status-file.js';
import { sendPing } from './healthcheck-ping.js';
import { lastSuccessInFile, writeMetricsFile } from './metrics-file.js';
import type { RunReport } from './run-report.js';
import { runMetricsText } from './run-metrics.js';

/** The end-of-run hooks of one run: metrics file and dead man's switch. */
export interface RunMonitor {
  /** Writes the metrics file and sends the success or fail ping; never throws (a problem is a warning). */
  finish(report: RunReport): Promise<void>;
}

/**
 * Starts monitoring a run: sends the healthcheck's start ping (without waiting for it; the end ping waits for it, so
 * they arrive in order). Nothing here can change a run's exit code.
 */
export function startRunMonitor(config: Config, log: Logger): RunMonitor {
  const { healthcheck } = config;
  const started = healthcheck === undefined ? Promise.resolve(true) : sendPing(healthcheck, 'start', '', log);
  return {
    async finish(report) {
      const pinged = (async () => {
        await started;
        if (healthcheck !== undefined) await sendPing(healthcheck, report.exitCode === 0 ? 'success' : 'fail', report.line, log);
      })();
      await Promise.all([writeMetrics(config, report, log), pinged]);
    },
  };
}

/** What STATE_DIR/status.json says was left at the end of the last run, for a run that did not get to its end. */
export async function lastKnownTotals(stateDir: string): Promise<StatusTotals | undefined> {
  const status = await readStatusFile<Partial<StatusFile>>(stateDir).catch(() => undefined);
  return status?.totals ?? undefined;
}

async function writeMetrics(config: Config, report: RunReport, log: Logger): Promise<void> {
  const path = config.metricsFile;
  if (path === undefined) return;
  try {
    const lastSuccess = Math.max(0, (await lastSuccessInFile(path)) ?? 0, (await lastSuccessInStatus(config.stateDir)) ?? 0);
    await writeMetricsFile(path, await runMetricsText(report, lastSuccess > 0 ? lastSuccess : undefined, config.instance));
  } catch (error) {
    log.warn({ metricsFile: path, err: error }, `the metrics file ${path} could not be written (${(error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message}); the run's outcome is unchanged`);
  }
}

// The last finished run's end, when it exited 0 (status.json outlives a metrics file that was deleted or moved).
async function lastSuccessInStatus(stateDir: string): Promise<number | undefined> {
  const status = await readStatusFile<Partial<StatusFile>>(stateDir).catch(() => undefined);
  const last = status?.lastRun;
  if (last?.exitCode !== 0) return undefined;
  const ms = Date.parse(last.finishedAt);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}
