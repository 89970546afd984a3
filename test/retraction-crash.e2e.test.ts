import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Reply } from './fixtures/webhook-receiver.ts';
import { assertRetractionBody } from './helpers/retraction-schema.ts';
import { changedAfterNightOne, hour, iso, night1, nightAt, retractionsIn } from './helpers/retraction-nights.ts';
import { startCli, type CliRun } from './helpers/run-cli.js';

// DESIGN §3b, §4 under kill -9: a night killed (SIGKILL) before a retraction is frozen, after it, once the receiver
// accepted it and while its POST is in flight; the next run finishes it. Exactly one retraction key reaches the
// receiver, resent with the same key at most once per kill.

const night2 = night1 + 24 * hour;
const tally = { kills: 0, resent: 0 };

describe('retractions under kill -9', () => {
  after(() => console.log(`guarantees: retraction kills ${tally.kills}, retraction keys per run 1, resent with the same key ${tally.resent}`));

  for (const point of ['retraction-found', 'retraction-frozen', 'retraction-posted', 'mid-POST'] as const) {
    it(`a kill at ${point} leaves one retraction key, sent once or resent once with the same key`, async () => {
      let run: CliRun | undefined;
      // 'mid-POST': the receiver stores the retraction, then the job dies before it reads the answer.
      const killOnRetraction = (delivery: { body: { type?: string } }, attempt: number): Reply => {
        if (delivery.body.type === 'retraction' && attempt === 1) run?.child.kill('SIGKILL');
        return { status: 200 };
      };
      const setUp = await changedAfterNightOne(true, point === 'mid-POST' ? { respond: killOnRetraction } : {});
      try {
        run = startCli(['run', '--now', iso(night2)], point === 'mid-POST' ? setUp.env : { ...setUp.env, MEMORY_CRON_TEST_KILL_AT: point });
        const killed = await run.done;
        assert.equal(killed.signal, 'SIGKILL', `the kill at ${point} was reached: ${killed.stdout}${killed.stderr}`);
        const beforeRestart = retractionsIn(setUp.receiver.deliveries).length;
        assert.equal(beforeRestart, ['retraction-found', 'retraction-frozen'].includes(point) ? 0 : 1, 'killed where its name says');
        tally.kills++;

        await nightAt(setUp.env, night2);
        await nightAt(setUp.env, night2 + hour); // and one more: nothing left to send
        const posts = retractionsIn(setUp.receiver.deliveries);
        const keys = new Set(posts.map((d) => d.idempotencyKey));
        assert.equal(keys.size, 1, 'exactly one retraction key reaches the receiver');
        assert.equal(setUp.receiver.accepted.size, 1);
        assert.ok(posts.length <= 2, `resent with the same key at most once (${posts.length} POSTs)`);
        if (beforeRestart === 1) assert.equal(posts.length, 2, 'the retraction in flight is resent, with the same key');
        tally.resent += posts.length - 1;
        for (const post of posts) {
          assert.equal(post.signatureValid, true);
          assert.equal(post.headers['webhook-id'], post.body.id);
          assertRetractionBody(post.body);
        }
        assert.deepEqual(posts[0]?.body.chats.map((chat: { chatId: number; change: string }) => [chat.chatId, chat.change]), [[402, 'edited'], [403, 'hidden'], [404, 'deleted']]);
        assert.deepEqual(setUp.receiver.deliveries.filter((d) => d.body?.type !== 'retraction'), [], 'no conversation is resent');
      } finally {
        await setUp.close();
      }
    });
  }
});
