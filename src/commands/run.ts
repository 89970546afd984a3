import type { Config } from '../config.js';
import { McError } from '../errors.js';
import { runNight } from '../job.js';
import { commandLog, exitCodeOf, logFailure, stopSignal, version } from './command-context.js';

/** `memory-cron run`: the nightly job; resolves to the exit code. */
export async function runCommand(config: Config, commandLine: string): Promise<number> {
  const log = commandLog(config, { toStderr: false, command: 'run' });
  const stop = stopSignal(config.deadlineMs);
  try {
    const summary = await runNight(config, { log: log.logger, signal: stop.signal, version, command: commandLine });
    const { conversations } = summary;
    log.logger.info({ summary }, `run finished: ${summary.chats.read} chats read, ${conversations.sent} conversations sent, ${conversations.open} open, ${conversations.dead + conversations.parked} dead`);
    const problem = conversations.webhookDown
      ? new McError('MC_WEBHOOK_DOWN', `the webhook failed ${conversations.dead + conversations.parked} deliveries in a row and was taken to be down; the rest waits in the outbox for the next run`)
      : conversations.dead + conversations.parked > 0
        ? new McError('MC_DEAD_LETTERS', `${conversations.dead} dead letters and ${conversations.parked} parked conversations left by this run; see \`memory-cron dead-letters\``)
        : undefined;
    if (problem === undefined) return 0;
    logFailure(log.logger, problem);
    return exitCodeOf(problem);
  } catch (error) {
    logFailure(log.logger, error);
    return exitCodeOf(error);
  } finally {
    stop.dispose();
    await log.flush();
  }
}
