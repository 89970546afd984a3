import type { Config } from '../config.js';
import { apiPageReader } from '../source/api-source.js';
import { filePageReader } from '../source/file-source.js';
import { commandLog, loggedCommand, stopSignal } from './command-context.js';

/** `memory-cron check`: validates the settings and reads page 0, sending nothing; resolves to the exit code. */
export async function checkCommand(config: Config): Promise<number> {
  const log = commandLog(config, { toStderr: false, command: 'check' });
  const stop = stopSignal(config.deadlineMs);
  return loggedCommand(log, stop, async () => {
    const source = config.source;
    if (source === undefined) throw new TypeError('check needs a source');
    const readPage = source.kind === 'api'
      ? apiPageReader({ baseUrl: source.baseUrl, apiKey: source.apiKey, timeoutMs: config.timeoutMs, retry: { retries: 1, minDelayMs: config.retryMinMs, maxDelayMs: config.retryMinMs, retryAfterCapMs: config.retryAfterCapMs, signal: stop.signal } })
      : filePageReader(source.path);
    const page = await readPage(0, false);
    log.logger.info({ source: source.kind, rows: page.records.length, hasPages: page.hasPages, webhook: config.webhookUrl !== undefined, signed: config.webhookSecret !== undefined, stateDir: config.stateDir }, 'settings are valid and page 0 was read; nothing was sent');
    return 0;
  });
}
