// DESIGN §1/§4 against garbage: every kind of bad record in test/fixtures/bad-records.ts is quarantined with a reason
// naming the field, skipped, or kept as DESIGN says; the run never crashes and its summary counts are exact.
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { badRecordKinds, corpusBase } from './fixtures/bad-records.ts';
import { makeChat, type RawChat } from './fixtures/raw-chat.ts';
import { startWebhookReceiver, type Delivery } from './fixtures/webhook-receiver.ts';
import { faultCliEnv, secret } from './helpers/cli-env.js';
import { hour, outcome, snapshotState } from './helpers/guarantees.ts';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const realNowMs = Date.now();
const now = new Date(corpusBase + 24 * hour).toISOString();
const corpus = badRecordKinds(realNowMs);
const rows = corpus.flatMap((k) => k.rows) as RawChat[];
const sum = (field: 'staged' | 'updated' | 'ignored' | 'skipped' | 'quarantined') => corpus.reduce((n, k) => n + (k.counts[field] ?? 0), 0);
const fileOnlyKinds = ['null where a record belongs', 'a line that is not JSON'];

describe('bad records', () => {
  it(`each of ${corpus.length} kinds of bad or odd record is quarantined with its reason, skipped or kept as DESIGN says, with exact counts`, async (t) => {
    const standIn = await startStandIn({ chats: [...rows] });
    const receiver = await startWebhookReceiver({ secret });
    const stateDir = await tempDir();
    try {
      const env = faultCliEnv(standIn, receiver, stateDir, { LOG_LEVEL: 'trace' });
      const result = await runCli(['--now', now], env);
      assert.equal(result.code, 0, outcome(result));
      const summary = summaryOf(result);
      assert.deepEqual(
        { ...summary?.['chats'], older: undefined },
        { ...summary?.['chats'], older: undefined, read: rows.length, staged: sum('staged'), updated: sum('updated'), ignored: sum('ignored'), skipped: sum('skipped'), quarantined: sum('quarantined') },
        'summary.chats counts every row once',
      );

      const state = await snapshotState(stateDir);
      assert.equal(state.quarantine.length, sum('quarantined'), 'one quarantine record per bad row');
      const byThread = new Map<number, Delivery[]>();
      for (const d of receiver.deliveries) byThread.set(d.body.threadId, [...(byThread.get(d.body.threadId) ?? []), d]);
      corpus.forEach((k, i) => {
        const thread = i + 1;
        const delivered = byThread.get(thread) ?? [];
        if (k.expect.fate === 'quarantined') {
          const { reason } = k.expect;
          const raws = new Set(k.rows.map((row) => JSON.stringify(row)));
          const found = state.quarantine.filter((r) => raws.has(JSON.stringify(r.raw)));
          assert.equal(found.length, 1, `${k.kind}: quarantined once`);
          assert.match(found[0]?.reason ?? '', reason, `${k.kind}: the reason names the field`);
          assert.equal(delivered.length, 0, `${k.kind}: not delivered`);
        } else if (k.expect.fate === 'skipped') {
          assert.equal(delivered.length, 0, `${k.kind}: not delivered`);
          assert.deepEqual(state.marks.get(100 * thread), { s: 'hidden' }, `${k.kind}: marked as skipped`);
        } else {
          assert.equal(delivered.length, 1, `${k.kind}: delivered once`);
          const body = delivered[0]?.body;
          const messages = body.messages as { role: string; content: string; chatId: number }[];
          assert.deepEqual(messages.map((m) => m.chatId), k.expect.assistant === null ? [100 * thread] : [100 * thread, 100 * thread], `${k.kind}: one turn`);
          assert.equal(messages[0]?.content, k.expect.user, `${k.kind}: the prompt as sent`);
          assert.equal(messages.find((m) => m.role === 'assistant')?.content ?? null, k.expect.assistant, `${k.kind}: the reply as DESIGN reads it`);
          if (k.expect.workspace !== undefined) assert.equal(body.workspace.name, k.expect.workspace, `${k.kind}: the workspace name`);
        }
      });
      const kept = corpus.filter((k) => k.expect.fate === 'kept');
      assert.equal(receiver.accepted.size, kept.length, 'one conversation per kept kind, nothing else');

      const longest = Math.max(...result.stdout.split('\n').map((line) => line.length));
      assert.ok(longest < 16_384, `no log line carries message text (longest ${longest} bytes)`);
      for (const text of ['regenerated question', 'good copy', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'escape']) assert.ok(!result.stdout.includes(text), `no log line holds "${text}"`);

      // A copy of a sent chat, regenerated with new text, comes back on the next night: it is ignored.
      const lastKept = kept.at(-1) as (typeof kept)[number];
      const sentRow = lastKept.rows[0] as RawChat;
      standIn.add({ ...sentRow, prompt: 'rewritten after it was sent', lastUpdatedAt: new Date(realNowMs).toISOString() });
      const next = await runCli(['--now', now], env);
      assert.equal(next.code, 0, outcome(next));
      const nextCounts = summaryOf(next)?.['chats'];
      assert.deepEqual([nextCounts?.['staged'], nextCounts?.['updated'], nextCounts?.['quarantined']], [0, 0, 0], 'nothing is staged or quarantined again');
      assert.ok(nextCounts?.['ignored'] > 0, 'the re-read rows and the late copy are ignored');
      assert.equal(receiver.deliveries.length, kept.length, 'nothing is sent again');
      t.diagnostic(`${corpus.length} kinds: ${sum('quarantined')} rows quarantined, ${sum('skipped')} skipped, ${kept.length} kept`);
      console.log(`guarantees: bad record kinds ${corpus.length + fileOnlyKinds.length} (${corpus.length} through the API, ${fileOnlyKinds.length} more through --source file), rows quarantined ${sum('quarantined') + 5}, runs crashed 0`);
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });

  it('an NDJSON file with null, a line that is not JSON and other non-records: each quarantined, the good row sent', async () => {
    const receiver = await startWebhookReceiver({ secret });
    const stateDir = await tempDir();
    try {
      const good = makeChat({ id: 7, createdAt: new Date(corpusBase).toISOString() });
      const path = join(stateDir, 'chats.ndjson');
      await writeFile(path, ['null', 'not JSON at all {', '[]', '"a string"', '42', '', JSON.stringify(good)].join('\n') + '\n');
      const result = await runCli(['--source', `file:${path}`, '--now', now], { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: secret, STATE_DIR: join(stateDir, 'state'), RETRY_MIN_DELAY: '5' });
      assert.equal(result.code, 0, outcome(result));
      const counts = summaryOf(result)?.['chats'];
      assert.deepEqual([counts?.['read'], counts?.['quarantined'], counts?.['staged']], [6, 5, 1]);
      const reasons = (await snapshotState(join(stateDir, 'state'))).quarantine.map((r) => r.reason);
      assert.deepEqual(reasons, Array(5).fill('record is not an object'));
      assert.deepEqual([...receiver.accepted.values()].map((body) => body.messages[0].chatId), [7]);
    } finally {
      await receiver.close();
    }
  });
});
