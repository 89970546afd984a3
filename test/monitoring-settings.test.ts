import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { detectKind, monitoringSettings, type HealthcheckConfig } from '../src/config/monitoring-settings.js';
import { isMcError } from '../src/errors.js';
import { pingRequest } from '../src/monitoring/ping-request.js';

const env = { BASE_URL: 'http://127.0.0.1:3001', API_KEY: 'env-key', WEBHOOK_URL: 'http://127.0.0.1:9/hook' };

function configError(environment: NodeJS.ProcessEnv, flags: Parameters<typeof loadConfig>[0] = {}): string {
  try {
    loadConfig(flags, { ...env, ...environment });
  } catch (error) {
    assert.ok(isMcError(error, 'MC_CONFIG'), String(error));
    return error.message;
  }
  assert.fail('expected a configuration error');
}

const hc = (url: string, kind: HealthcheckConfig['kind'] = detectKind(new URL(url))): HealthcheckConfig => ({ url: new URL(url), kind, timeoutMs: 10_000 });
const shown = (request: ReturnType<typeof pingRequest>) => (request === undefined ? undefined : `${request.method} ${request.url.href}${request.body === undefined ? '' : ` «${request.body}»`}`);

describe('monitoring settings', () => {
  it('default to no metrics file, instance "default" and no healthcheck; flags win over the environment', () => {
    assert.deepEqual(monitoringSettings({}, {}), { metricsFile: undefined, instance: 'default', healthcheck: undefined });
    const config = loadConfig({ metricsFile: '/x/flag.prom', instance: 'flag' }, { ...env, METRICS_FILE: '/x/env.prom', INSTANCE: 'env' });
    assert.deepEqual([config.metricsFile, config.instance], ['/x/flag.prom', 'flag']);
  });

  it('name a bad setting in one line, and never show a ping URL, which holds a token', () => {
    assert.match(configError({ METRICS_FILE: '/var/lib/node_exporter/memory-cron.txt' }), /^METRICS_FILE ".*" must name a file ending in \.prom/);
    assert.match(configError({}, { metricsFile: 'x.txt' }), /^--metrics-file "x\.txt"/);
    assert.match(configError({ INSTANCE: 'a b' }), /^INSTANCE "a b" must be 1–100 letters/);
    assert.match(configError({ HEALTHCHECK_KIND: 'nagios' }), /^HEALTHCHECK_KIND "nagios" must be one of healthchecks, cronitor, uptime-kuma/);
    const secretish = 'hc-ping.com/0f0f0f0f-secret-token';
    const message = configError({ HEALTHCHECK_URL: secretish });
    assert.match(message, /^HEALTHCHECK_URL is not a URL/);
    assert.ok(!message.includes('secret-token'));
    assert.match(configError({ HEALTHCHECK_URL: 'https://user:pw@hc-ping.com/x' }), /^HEALTHCHECK_URL must not carry a user name or password \(https:\/\/…@hc-ping\.com\)$/);
  });

  it('tell the convention from the URL, and HEALTHCHECK_KIND overrides it', () => {
    assert.equal(detectKind(new URL('https://hc-ping.com/4f1c2d3e-aaaa-bbbb-cccc-0123456789ab')), 'healthchecks');
    assert.equal(detectKind(new URL('https://cronitor.link/p/KEY/memory-cron')), 'cronitor');
    assert.equal(detectKind(new URL('https://kuma.example/api/push/AbCdEf123?status=up&msg=OK&ping=')), 'uptime-kuma');
    assert.equal(loadConfig({}, { ...env, HEALTHCHECK_URL: 'https://hc.example/ping/x', HEALTHCHECK_KIND: 'cronitor' }).healthcheck?.kind, 'cronitor');
  });
});

describe('ping requests', () => {
  it('healthchecks: POST URL/start, URL with the summary line, URL/fail with the error line (query kept)', () => {
    const check = hc('https://hc-ping.com/abc/?rid=1'.replace('/?', '?'));
    assert.equal(shown(pingRequest(check, 'start', 'x')), 'POST https://hc-ping.com/abc/start?rid=1 «»');
    assert.equal(shown(pingRequest(check, 'success', 'run finished: 3 chats read')), 'POST https://hc-ping.com/abc?rid=1 «run finished: 3 chats read»');
    assert.equal(shown(pingRequest(check, 'fail', 'MC_SOURCE_AUTH: no')), 'POST https://hc-ping.com/abc/fail?rid=1 «MC_SOURCE_AUTH: no»');
    assert.equal(shown(pingRequest(hc('https://hc-ping.com/abc/'), 'fail', 'e')), 'POST https://hc-ping.com/abc/fail «e»');
  });

  it('cronitor: GET ?state=run, ?state=complete&message=…, ?state=fail&message=…', () => {
    const check = hc('https://cronitor.link/p/KEY/memory-cron?env=prod');
    assert.equal(shown(pingRequest(check, 'start', 'x')), 'GET https://cronitor.link/p/KEY/memory-cron?env=prod&state=run');
    assert.equal(shown(pingRequest(check, 'success', 'ok 1')), 'GET https://cronitor.link/p/KEY/memory-cron?env=prod&state=complete&message=ok+1');
    assert.equal(shown(pingRequest(check, 'fail', 'MC_X: y')), 'GET https://cronitor.link/p/KEY/memory-cron?env=prod&state=fail&message=MC_X%3A+y');
  });

  it('uptime kuma: no start ping; GET ?status=up or ?status=down with the line as msg', () => {
    const check = hc('https://kuma.example/api/push/AbC123?status=up&msg=OK&ping=');
    assert.equal(pingRequest(check, 'start', 'x'), undefined);
    assert.equal(shown(pingRequest(check, 'success', 'fine')), 'GET https://kuma.example/api/push/AbC123?status=up&msg=fine');
    assert.equal(shown(pingRequest(check, 'fail', 'MC_X: y')), 'GET https://kuma.example/api/push/AbC123?status=down&msg=MC_X%3A+y');
    assert.equal(pingRequest(check, 'fail', 'z'.repeat(5000))?.url.searchParams.get('msg')?.length, 1000);
  });
});
