// `memory-cron check` through the built CLI: settings, page 0, and whether anything listens at WEBHOOK_URL.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { parseBackfillDate } from '../src/config/backfill-date.js';
import { cliEnv, hashTree } from './helpers/cli-env.js';
import { runCli, summaryOf, type CliResult } from './helpers/run-cli.js';
import { freePort } from './helpers/free-port.js';
import { tempDir } from './helpers/temp-dir.js';

describe('memory-cron check', () => {
  it('probes WEBHOOK_URL with a HEAD: any answer (here 404) is reachable and nothing is delivered; nothing listening is exit 6 saying so', async () => {
    const end = Date.parse('2026-11-24T09:00:00Z');
    const standIn = await startStandIn({ chats: generateChats({ count: 50, seed: 8, start: new Date(end - 86_400_000), end: new Date(end), realNowMs: Date.now() }) });
    const receiver = await startWebhookReceiver();
    try {
      const stateDir = await tempDir();
      const ok = await runCli(['check'], cliEnv(standIn, receiver, stateDir));
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /"msg":"settings are valid, page 0 was read and the webhook answered a HEAD \(404\); nothing was sent"/);
      assert.equal(receiver.deliveries.length, 0, 'a HEAD delivers nothing');

      const port = await freePort();
      const token = 'hook-token-5f5f5f5f';
      const refused = await runCli(['check'], cliEnv(standIn, receiver, stateDir, { WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/${token}` }));
      assert.equal(refused.code, 6, refused.stdout + refused.stderr);
      const errors = refused.lines.filter((line) => line['level'] >= 50);
      assert.equal(errors.length, 1, refused.stdout);
      assert.equal(errors[0]?.['code'], 'MC_WEBHOOK_UNREACHABLE');
      assert.match(errors[0]?.['msg'], new RegExp(`^nothing answers at WEBHOOK_URL http://127\\.0\\.0\\.1:${port}/… \\(ECONNREFUSED\\)`));
      assert.ok(!(refused.stdout + refused.stderr).includes(token), 'the path, which may hold a token, is not shown');

      const retractRefused = await runCli(['check'], cliEnv(standIn, receiver, stateDir, { RETRACT_WEBHOOK_URL: `http://127.0.0.1:${port}/forget/${token}` }));
      assert.equal(retractRefused.code, 6, retractRefused.stdout + retractRefused.stderr);
      assert.match(retractRefused.stdout, new RegExp(`"msg":"nothing answers at RETRACT_WEBHOOK_URL http://127\\.0\\.0\\.1:${port}/… \\(ECONNREFUSED\\)`));
      assert.ok(!(retractRefused.stdout + retractRefused.stderr).includes(token), 'nor the retraction webhook\'s');
      const bothOk = await runCli(['check'], cliEnv(standIn, receiver, stateDir, { RETRACT_WEBHOOK_URL: receiver.url.replace('/hook', '/forget') }));
      assert.match(bothOk.stdout, /and the webhook answered a HEAD \(404\) and the retraction webhook a HEAD \(404\); nothing was sent"/);
      assert.equal(receiver.deliveries.length, 0, 'HEADs deliver nothing');
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });

  it('validates page 0 as a run does: its bad records are counted and one is named, nothing is quarantined or sent', async () => {
    const end = Date.parse('2026-11-24T09:00:00Z');
    const chats = generateChats({ count: 30, seed: 7, start: new Date(end - 86_400_000), end: new Date(end), realNowMs: Date.now() });
    const newest = Math.max(...chats.map((chat) => chat['id'] as number));
    const standIn = await startStandIn({ chats: [...chats, { ...chats[0], id: newest + 1, createdAt: 'yesterday' }] });
    const receiver = await startWebhookReceiver();
    try {
      const stateDir = await tempDir();
      const result = await runCli(['check'], cliEnv(standIn, receiver, stateDir));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const line = result.lines.find((l) => typeof l['rows'] === 'number');
      assert.deepEqual([line?.['rows'], line?.['badRecords']], [20, 1]);
      assert.match(String(line?.['msg']), new RegExp(`page 0 was read \\(1 of its 20 records would be quarantined, e\\.g\\. chat ${newest + 1}: createdAt "yesterday" is not an ISO-8601 date\\)`));
      assert.equal(existsSync(join(stateDir, 'db')), false, 'check opens no state');
      assert.equal(receiver.deliveries.length, 0);
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });

  it('honours --backfill DATE: read and refused as `run` reads it, and says what such a run would take in against the floor, writing nothing', async () => {
    const end = Date.parse('2026-11-24T09:00:00Z');
    const standIn = await startStandIn({ chats: generateChats({ count: 200, seed: 9, start: new Date(end - 4 * 86_400_000), end: new Date(end), realNowMs: Date.now() }) });
    const receiver = await startWebhookReceiver();
    const midnight = (day: string) => parseBackfillDate(day, 'America/Chicago').toISOString();
    const backfillLine = (result: CliResult) => {
      const found = result.lines.filter((line) => line['backfill'] !== null && typeof line['backfill'] === 'object');
      assert.equal(found.length, 1, result.stdout + result.stderr);
      return found[0] as Record<string, any>;
    };
    try {
      const stateDir = join(await tempDir(), 'state');
      const first = await runCli(['check', '--backfill', '2026-11-22'], cliEnv(standIn, receiver, stateDir));
      assert.equal(first.code, 0, first.stdout + first.stderr);
      const install = backfillLine(first);
      assert.deepEqual(install['backfill'], { effect: 'first-install', date: midnight('2026-11-22'), cursor: null, floor: null, floorAfter: midnight('2026-11-22'), redeliver: false });
      assert.equal(install['level'], 30);
      assert.match(install['msg'], /^no night has completed in .* yet: a run with --backfill 2026-11-22T06:00:00\.000Z takes in only the chats created since 2026-11-22T06:00:00\.000Z and keeps 2026-11-22T06:00:00\.000Z as the floor/);
      assert.equal(first.lines.at(-1)?.['backfill'], midnight('2026-11-22'), 'the verdict line names the date too');
      assert.equal(existsSync(stateDir), false, 'check created nothing');
      assert.equal(receiver.deliveries.length, 0);

      // A date run refuses, check refuses with the same line and exit.
      const badCheck = await runCli(['check', '--backfill', '2026-02-30'], cliEnv(standIn, receiver, stateDir));
      const badRun = await runCli(['run', '--backfill', '2026-02-30'], cliEnv(standIn, receiver, stateDir));
      // stderr is a pipe here: one JSON line each (a terminal would get `memory-cron: CODE: message`).
      const refusal = (result: CliResult) => (JSON.parse(result.stderr) as { code: string; msg: string });
      assert.deepEqual([badCheck.code, refusal(badCheck).code, refusal(badCheck).msg], [2, 'MC_CONFIG', refusal(badRun).msg]);
      assert.equal(refusal(badCheck).msg, '--backfill "2026-02-30" is not a real date or time; use a day like 2026-11-01 (midnight in America/Chicago), a local time like 2026-11-01T06:00, or a timestamp like 2026-11-01T06:00:00Z');

      const night = await runCli(['run', '--backfill', '2026-11-22', '--now', new Date(end).toISOString()], cliEnv(standIn, receiver, stateDir));
      assert.equal(night.code, 0, night.stdout);
      const before = await hashTree(stateDir);

      const older = backfillLine(await runCli(['check', '--backfill', '2026-11-21'], cliEnv(standIn, receiver, stateDir)));
      assert.deepEqual([older['backfill']['effect'], older['backfill']['floor'], older['backfill']['floorAfter']], ['older-history', midnight('2026-11-22'), midnight('2026-11-21')]);
      assert.match(older['msg'], /is before the floor 2026-11-22T06:00:00\.000Z: a run pages back to 2026-11-21T06:00:00\.000Z and takes in the chats created between the two/);

      const reread = backfillLine(await runCli(['check', '--backfill', '2026-11-23', '--redeliver'], cliEnv(standIn, receiver, stateDir)));
      assert.deepEqual([reread['backfill']['effect'], reread['backfill']['floorAfter'], reread['backfill']['redeliver']], ['re-read', midnight('2026-11-22'), true]);
      assert.match(reread['msg'], /already takes in everything since the floor 2026-11-22T06:00:00\.000Z: .* re-reads back to 2026-11-23T06:00:00\.000Z .*; with --redeliver it sends every conversation since 2026-11-23T06:00:00\.000Z again, with new Idempotency-Keys$/);

      // A date in the future is refused by check exactly as by run: exit 2, one line naming the flag.
      const futureCheck = await runCli(['check', '--backfill', '2099-01-01'], cliEnv(standIn, receiver, stateDir));
      const futureRun = await runCli(['run', '--backfill', '2099-01-01'], cliEnv(standIn, receiver, stateDir));
      assert.deepEqual([futureCheck.code, futureRun.code], [2, 2], futureCheck.stderr);
      assert.match(futureCheck.stderr, /--backfill 2099-01-01 \(2099-01-01T06:00:00\.000Z\) is in the future/);
      assert.deepEqual([refusal(futureCheck).code, refusal(futureCheck).msg], ['MC_CONFIG', refusal(futureRun).msg], 'the same refusal, one JSON line (stderr is not a terminal)');
      assert.deepEqual(await hashTree(stateDir), before, 'check read status.json and changed no file of STATE_DIR');

      // What check said is what the run does: the floor moves to the earlier day.
      const backfill = await runCli(['run', '--backfill', '2026-11-21', '--now', new Date(end).toISOString()], cliEnv(standIn, receiver, stateDir));
      assert.equal(backfill.code, 0, backfill.stdout);
      assert.equal(summaryOf(backfill)?.['floor'], older['backfill']['floorAfter']);
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });
});
