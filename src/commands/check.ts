import { counted } from '../log/counted.js';
import type { Config } from '../config.js';
import { retryPolicy } from '../config/retry-policy.js';
import { pageReader } from '../source/page-reader.js';
import { judgeStateDir } from '../statedir/permissions.js';
import { commandLog, loggedCommand, stopSignal, weakSecretWarning } from './command-context.js';
import { previewBackfill } from './backfill-preview.js';
import { probeWebhook } from './webhook-probe.js';

/**
 * `memory-cron check`: validates the settings, reads page 0 and probes WEBHOOK_URL with a HEAD and the static headers
 * (any HTTP answer but a redirect is reachable; a 3xx is MC_WEBHOOK_REDIRECTED, exit 6), sending nothing; page 0 is validated as a run validates it, and its bad records counted; resolves to the exit code. With `--backfill DATE` (read and refused exactly as `run`
 * reads it: config/backfill-date.ts, MC_CONFIG, exit 2) it also says what such a run would take in, against the cursor
 * and floor status.json records (backfill-preview.ts): one line, a warning when DATE is in the future or the state's
 * floor is unknown. It never opens LevelDB and writes nothing.
 */
export async function checkCommand(config: Config): Promise<number> {
  const log = commandLog(config, { toStderr: false, command: 'check' });
  const stop = stopSignal(config.deadlineMs);
  return loggedCommand(log, stop, async () => {
    const weak = weakSecretWarning(config);
    if (weak !== undefined) log.logger.warn({ setting: 'WEBHOOK_SECRET' }, weak);
    const stateDir = await judgeStateDir(config.stateDir, { fix: config.fixPermissions });
    if (stateDir.found === 'exposed') log.logger.warn({ stateDir: config.stateDir, mode: stateDir.mode }, stateDir.message);
    const source = config.source;
    if (source === undefined) throw new TypeError('check needs a source');
    const readPage = pageReader(source, { timeoutMs: config.timeoutMs, retry: { ...retryPolicy(config, stop.signal), retries: 1, maxDelayMs: config.retryMinMs } });
    const page = await readPage(0, false);
    const bad = page.records.flatMap((record) => (record.kind === 'bad' ? [record] : []));
    const webhook = config.webhookUrl === undefined ? undefined : await probeWebhook(config.webhookUrl, Math.min(config.timeoutMs, 10_000), stop.signal, config.webhookHeaders);
    const retractUrl = config.retractWebhookUrl;
    const retract = retractUrl === undefined || retractUrl === config.webhookUrl ? undefined : await probeWebhook(retractUrl, Math.min(config.timeoutMs, 10_000), stop.signal, config.webhookHeaders, 'RETRACT_WEBHOOK_URL');
    if (config.backfill !== undefined) {
      const { message, ...backfill } = await previewBackfill(config.stateDir, config.backfill, { redeliver: config.redeliver });
      const level = backfill.effect === 'unknown' ? 'warn' : 'info';
      log.logger[level]({ backfill }, message);
    }
    log.logger.info({ source: source.kind, rows: page.records.length, badRecords: bad.length, hasPages: page.hasPages, webhook: webhook === undefined ? false : { answered: webhook.status }, ...(retract === undefined ? {} : { retractWebhook: { answered: retract.status } }), signed: config.webhookSecret !== undefined, headers: Object.keys(config.webhookHeaders), stateDir: config.stateDir, stateDirMode: stateDir.found === 'absent' ? null : stateDir.mode, backfill: config.backfill?.toISOString() ?? null }, `settings are valid, page 0 was read${bad.length === 0 ? '' : ` (${bad.length} of its ${counted(page.records.length, 'record')} would be quarantined, e.g. chat ${bad[0]?.id ?? 'without an id'}: ${bad[0]?.reason})`}${webhook === undefined ? '' : ` and the webhook answered a HEAD (${webhook.status})`}${retract === undefined ? '' : ` and the retraction webhook a HEAD (${retract.status})`}; nothing was sent`);
    return 0;
  });
}
