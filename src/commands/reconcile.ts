import { counted } from '../log/counted.js';
import type { Config } from '../config.js';
import { McError } from '../errors.js';
import { logMode } from '../log.js';
import type { IdList, Reconciled } from '../job/reconcile.js';
import { progressDisplay, type ProgressDisplay } from '../status/progress-display.js';
import { reconcile } from '../job/reconcile.js';
import { commandLog, exitFor, loggedCommand, stopSignal, version } from './command-context.js';
import { reconcileTable } from './reconcile-table.js';

/**
 * `memory-cron reconcile [--since DATE] [--json]` (DESIGN §4): re-reads the source under the lock and prints what it
 * found — a table, or one JSON object with `--json` (logs then go to stderr). Resolves to the exit code: 0 when
 * nothing was missed, 6 (MC_MISSED_CHATS) when it staged chats no night had seen, else the code of the error
 * (3 locked, 4/5 source, 7 state, 8 RUN_DEADLINE, 130/143 signals). A progress line on a terminal.
 */
export async function reconcileCommand(config: Config, commandLine: string, json: boolean): Promise<number> {
  let display: ProgressDisplay | undefined;
  const log = commandLog(config, { toStderr: json, command: 'reconcile', beforeWrite: () => display?.clear() });
  display = progressDisplay({ stream: process.stderr, log: log.logger });
  const stop = stopSignal(config.deadlineMs);
  return loggedCommand(log, stop, async () => {
    try {
      const found = await reconcile(config, { log: log.logger, signal: stop.signal, version, command: commandLine, progress: display });
      display?.done();
      const { missed, changedAfterSend, hiddenAfterSend, deletedAfterSend, ...rest } = found;
      const counts = { ...rest, missed: missed.count, changedAfterSend: changedAfterSend.count, hiddenAfterSend: hiddenAfterSend.count, deletedAfterSend: deletedAfterSend.count };
      log.logger.info({ reconciled: counts }, `reconcile finished: ${counted(found.read, 'chat')} read, ${missed.count} missed (staged now), ${changedAfterSend.count} changed, ${hiddenAfterSend.count} hidden and ${deletedAfterSend.count} deleted after sending`);
      // Under systemd every line is one JSON object (DESIGN §6): the table is for a person (a terminal, cron's mail); the journal gets the ids.
      if (json) process.stdout.write(`${JSON.stringify(found)}\n`);
      else if (logMode(1) === 'journal') log.logger.info({ found: idsShown(found) }, 'reconcile found these chat ids (ids only, never text; `memory-cron reconcile --json` lists them all)');
      else process.stdout.write(reconcileTable(found));
      const problem = missed.count === 0 ? undefined : new McError('MC_MISSED_CHATS', `reconcile staged ${counted(missed.count, 'chat')} no night had seen (a page shift hid them); the next night sends them with their history`, { details: { missed: missed.count } });
      return exitFor(log.logger, problem);
    } finally {
      display?.done();
    }
  });
}

// At most 50 ids of each list for a journal line; the count says how many there are.
function idsShown(found: Reconciled): Record<string, IdList> {
  const cut = (list: IdList): IdList => ({ count: list.count, ids: list.ids.slice(0, 50) });
  return { missed: cut(found.missed), changedAfterSend: cut(found.changedAfterSend), hiddenAfterSend: cut(found.hiddenAfterSend), deletedAfterSend: cut(found.deletedAfterSend) };
}
