// The end of a run seen from outside: the node_exporter metrics file and the dead man's switch pings (docs/monitoring.md),
// through the built CLI against the AnythingLLM stand-in, a webhook receiver and a ping receiver.
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { startPingReceiver } from './fixtures/ping-receiver.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { chatKey, chatIdsOf, cliEnv } from './helpers/cli-env.js';
import { runCli, summaryOf, type CliResult } from './helpers/run-cli.js';
import { freePort } from './helpers/free-port.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
const end = Date.parse('2026-11-24T09:00:00Z');
const chats = () => generateChats({ count: 200, seed: 12, start: new Date(end - 2 * 24 * hour), end: new Date(end), realNowMs: Date.now() });
// Ten minutes after the newest chat: the newest conversations are still open and stay staged.
const now = new Date(Math.max(...chats().map((chat) => Date.parse(String(chat['createdAt'])) || 0)) + 10 * 60_000).toISOString();

/** The metrics file read back with a Prometheus text-format parser: name → the one sample's value and labels. */
async function readMetrics(path: string): Promise<Map<string, { value: number; labels: Record<string, string> }>> {
  const families = parsePrometheusTextFormat(await readFile(path, 'utf8'));
  return new Map(
    families.map((family) => {
      assert.equal(family.type, 'GAUGE', family.name);
      assert.equal(family.metrics.length, 1, family.name);
      const sample = family.metrics[0]!;
      return [family.name, { value: Number(sample.value), labels: sample.labels ?? {} }];
    }),
  );
}

const seconds = (iso: string) => Date.parse(iso) / 1000;
const output = (result: CliResult) => result.stdout + result.stderr;

describe('metrics file and healthcheck pings', () => {
  it('a night writes the metrics a Prometheus parser reads back and pings /start then success; a failing night pings /fail and keeps the last success', async () => {
    const standIn = await startStandIn({ chats: chats() });
    const receiver = await startWebhookReceiver();
    const pings = await startPingReceiver();
    try {
      const stateDir = await tempDir();
      const metricsDir = await tempDir();
      const metricsFile = join(metricsDir, 'memory-cron.prom');
      const env = cliEnv(standIn, receiver, stateDir, { METRICS_FILE: metricsFile, HEALTHCHECK_URL: pings.url, INSTANCE: 'tenant-a' });
      const night = await runCli(['--now', now], env);
      assert.equal(night.code, 0, output(night));
      const summary = summaryOf(night) as Record<string, any>;
      assert.deepEqual(pings.pings.map((p) => `${p.method} ${p.path}`), [`POST /ping/${pings.token}/start`, `POST /ping/${pings.token}`]);
      assert.match(pings.pings[1]!.body, /^run finished: 200 chats read, \d+ conversations sent, \d+ open, 0 dead, 0 parked$/);
      assert.ok(!output(night).includes(pings.token), 'the ping token never reaches a log line');

      const metrics = await readMetrics(metricsFile);
      const value = (name: string) => {
        const sample = metrics.get(name);
        assert.ok(sample !== undefined, `${name} is written`);
        assert.deepEqual(sample.labels, { instance: 'tenant-a' });
        return sample.value;
      };
      assert.equal(value('memory_cron_last_run_start_timestamp_seconds'), seconds(summary['startedAt']));
      assert.equal(value('memory_cron_last_run_end_timestamp_seconds'), seconds(summary['finishedAt']));
      assert.equal(value('memory_cron_last_success_timestamp_seconds'), seconds(summary['finishedAt']));
      assert.equal(value('memory_cron_last_run_exit_code'), 0);
      assert.equal(value('memory_cron_last_run_duration_seconds'), summary['durationMs'] / 1000);
      assert.equal(value('memory_cron_last_run_chats_read'), 200);
      for (const kind of ['staged', 'skipped', 'quarantined']) assert.equal(value(`memory_cron_last_run_chats_${kind}`), summary['chats'][kind], kind);
      for (const kind of ['sent', 'dead', 'parked']) assert.equal(value(`memory_cron_last_run_conversations_${kind}`), summary['conversations'][kind], kind);
      assert.equal(value('memory_cron_last_run_conversations_sent'), receiver.accepted.size);
      assert.equal(value('memory_cron_open_conversations'), summary['conversations']['open']);
      assert.equal(value('memory_cron_staged_turns'), summary['totals']['stagedTurns']);
      assert.ok(value('memory_cron_staged_turns') > 0, 'the sample leaves open conversations staged');
      assert.equal(value('memory_cron_dead_letters'), 0);
      assert.equal((await stat(metricsFile)).mode & 0o777, 0o644, 'node_exporter, another user, can read it');
      assert.deepEqual(await readdir(metricsDir), ['memory-cron.prom'], 'no temporary file left beside it');

      pings.pings.length = 0;
      const refused = await runCli(['--now', now], { ...env, API_KEY: 'wrong-key' });
      assert.equal(refused.code, 4, output(refused));
      assert.deepEqual(pings.pings.map((p) => `${p.method} ${p.path}`), [`POST /ping/${pings.token}/start`, `POST /ping/${pings.token}/fail`]);
      assert.match(pings.pings[1]!.body, /^MC_SOURCE_AUTH: /);
      const failed = await readMetrics(metricsFile);
      assert.equal(failed.get('memory_cron_last_run_exit_code')?.value, 4);
      assert.equal(failed.get('memory_cron_last_success_timestamp_seconds')?.value, seconds(summary['finishedAt']), 'the last success survives a failing run');
      assert.ok(failed.get('memory_cron_last_run_start_timestamp_seconds')!.value > seconds(summary['finishedAt']) - 1);
      assert.equal(failed.get('memory_cron_last_run_chats_read'), undefined, 'a run that did not finish reports no counts');
      assert.equal(failed.get('memory_cron_staged_turns')?.value, summary['totals']['stagedTurns'], 'what STATE_DIR holds comes from status.json');
      assert.equal(failed.get('memory_cron_dead_letters')?.value, 0);
    } finally {
      await Promise.all([standIn.close(), receiver.close(), pings.close()]);
    }
  });

  it('an unreachable ping URL or an unwritable metrics file is a warning and changes nothing else', async () => {
    const standIn = await startStandIn({ chats: chats() });
    const receiver = await startWebhookReceiver();
    try {
      const plainState = await tempDir();
      const plain = await runCli(['--now', now], cliEnv(standIn, receiver, plainState));
      assert.equal(plain.code, 0, output(plain));
      const sentPlain = [...receiver.accepted.values()].map((body) => chatKey(chatIdsOf(body))).sort();
      receiver.clear();

      const token = 'deadbeef-0000-4000-8000-feedfacecafe';
      const port = await freePort();
      const stateDir = await tempDir();
      const metricsFile = join(await tempDir(), 'no-such-dir', 'memory-cron.prom');
      const night = await runCli(['--now', now], cliEnv(standIn, receiver, stateDir, { HEALTHCHECK_URL: `http://127.0.0.1:${port}/${token}`, METRICS_FILE: metricsFile }));
      assert.equal(night.code, 0, output(night));
      assert.deepEqual(summaryOf(night)?.['conversations'], summaryOf(plain)?.['conversations']);
      assert.deepEqual([...receiver.accepted.values()].map((body) => chatKey(chatIdsOf(body))).sort(), sentPlain);
      const warnings = night.lines.filter((line) => line['level'] === 40).map((line) => String(line['msg']));
      assert.equal(warnings.filter((msg) => msg.startsWith('healthcheck ping "start" to http://127.0.0.1:' + port + '/… failed (ECONNREFUSED)')).length, 1, warnings.join('\n'));
      assert.equal(warnings.filter((msg) => msg.startsWith('healthcheck ping "success"')).length, 1, warnings.join('\n'));
      assert.equal(warnings.filter((msg) => msg.startsWith(`the metrics file ${metricsFile} could not be written (ENOENT)`)).length, 1, warnings.join('\n'));
      assert.ok(!output(night).includes(token), 'the ping token never reaches a log line');
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });
});
