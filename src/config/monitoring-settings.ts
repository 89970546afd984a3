import { httpUrl } from './http-url.js';
import { refuseSetting as fail } from './refuse-setting.js';

/** Which dead man's switch convention a HEALTHCHECK_URL follows (docs/monitoring.md). */
export type HealthcheckKind = 'healthchecks' | 'cronitor' | 'uptime-kuma';

/** The dead man's switch: pinged when a run starts and when it ends. The URL is a secret (it carries a token). */
export interface HealthcheckConfig {
  readonly url: URL;
  readonly kind: HealthcheckKind;
  /** One ping's timeout; a failed ping is a warning, never a failed run. @default 10 s */
  readonly timeoutMs: number;
}

/** What the end of a run reports to, besides the log. */
export interface MonitoringSettings {
  /** METRICS_FILE / --metrics-file: a node_exporter textfile rewritten at the end of every run. */
  readonly metricsFile: string | undefined;
  /** INSTANCE / --instance: the `instance` label of the metrics. @default default */
  readonly instance: string;
  readonly healthcheck: HealthcheckConfig | undefined;
}

const kinds: readonly HealthcheckKind[] = ['healthchecks', 'cronitor', 'uptime-kuma'];

/** Reads METRICS_FILE, INSTANCE, HEALTHCHECK_URL and HEALTHCHECK_KIND (flags first); one MC_CONFIG line naming a bad one. */
export function monitoringSettings(flags: { readonly metricsFile?: string | undefined; readonly instance?: string | undefined }, env: NodeJS.ProcessEnv): MonitoringSettings {
  return {
    metricsFile: metricsFile(nonEmpty(flags.metricsFile ?? env['METRICS_FILE']), flags.metricsFile === undefined ? 'METRICS_FILE' : '--metrics-file'),
    instance: instance(nonEmpty(flags.instance ?? env['INSTANCE']) ?? 'default', flags.instance === undefined ? 'INSTANCE' : '--instance'),
    healthcheck: healthcheck(nonEmpty(env['HEALTHCHECK_URL']), nonEmpty(env['HEALTHCHECK_KIND'])),
  };
}

function metricsFile(path: string | undefined, name: string): string | undefined {
  if (path === undefined) return undefined;
  if (!path.endsWith('.prom') || path.endsWith('/.prom')) fail(`${name} ${JSON.stringify(path)} must name a file ending in .prom: node_exporter's textfile collector reads only those`);
  return path;
}

function instance(value: string, name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/.test(value)) fail(`${name} ${JSON.stringify(value)} must be 1–100 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit`);
  return value;
}

// The URL carries a token, so no error line shows any of it.
function healthcheck(text: string | undefined, kindText: string | undefined): HealthcheckConfig | undefined {
  if (kindText !== undefined && !kinds.includes(kindText as HealthcheckKind)) fail(`HEALTHCHECK_KIND ${JSON.stringify(kindText)} must be one of ${kinds.join(', ')}`);
  if (text === undefined) return undefined;
  const url = httpUrl(text, { name: 'HEALTHCHECK_URL', example: 'the ping URL, e.g. https://hc-ping.com/<uuid>', secret: true });
  return { url, kind: (kindText as HealthcheckKind | undefined) ?? detectKind(url), timeoutMs: 10_000 };
}

/** The convention a ping URL's shape suggests: Cronitor's telemetry host, Uptime Kuma's push path, else Healthchecks'. */
export function detectKind(url: URL): HealthcheckKind {
  if (url.hostname === 'cronitor.link' || url.hostname.endsWith('.cronitor.link')) return 'cronitor';
  if (/\/api\/push\/[^/]+\/?$/.test(url.pathname)) return 'uptime-kuma';
  return 'healthchecks';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
