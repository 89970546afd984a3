// DESIGN §3 "Reaching the receiver": a webhook answering 301, 302, 307 or 308 is never followed. No conversation is
// marked sent, nothing reaches the Location, the parked error says "HTTP 308 to <Location>: set WEBHOOK_URL to it"
// (the Location shown as the webhook URL is: its origin and /…), no line calls it a 4xx, and `check` fails the same way.
import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { cliEnv } from './helpers/cli-env.js';
import { errorCodes, hour, outcome, snapshotState } from './helpers/guarantees.ts';
import { runCli, summaryOf } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';
import { threadConversations } from './helpers/thread-conversations.ts';

const base = Date.parse('2026-11-23T06:00:00Z');
const now = new Date(base + 24 * hour).toISOString();
// Three conversations of two turns, each in its own thread.
const chats = threadConversations(3, base);

/** A server on 127.0.0.1 answering every request with `status` (and `location`, when given), recording what came. */
async function startServer(status: number, location?: (own: string) => string) {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(status, location === undefined ? {} : { Location: location(url) }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

describe('webhook redirects', () => {
  for (const status of [301, 302, 307, 308]) {
    it(`a ${status}: every conversation parked as a redirect naming the Location, none sent, nothing sent to the Location; check exits 6 with the same words`, async () => {
      const standIn = await startStandIn({ chats: [...chats] });
      const elsewhere = await startServer(200);
      const token = 'hook-token-0a7e55c3';
      const hook = await startServer(status, () => `${elsewhere.url}/webhook/${token}/`);
      const said = `HTTP ${status} to ${elsewhere.url}/… (the same path with a trailing slash): set WEBHOOK_URL to it`;
      try {
        const stateDir = await tempDir();
        const env = cliEnv(standIn, undefined, stateDir, { WEBHOOK_URL: `${hook.url}/webhook/${token}` });
        const night = await runCli(['--now', now], env);
        assert.equal(night.code, 6, outcome(night));
        assert.deepEqual(hook.requests, [1, 2, 3].map(() => `POST /webhook/${token}`), 'one POST each: a redirect is not retried');
        assert.deepEqual(elsewhere.requests, [], 'nothing went to the Location');
        const conversations = summaryOf(night)?.['conversations'];
        assert.deepEqual([conversations?.['sent'], conversations?.['parked'], conversations?.['redirected'], conversations?.['dead']], [0, 3, 3, 0]);
        const state = await snapshotState(stateDir);
        assert.equal(state.sent.size, 0, 'no conversation marked sent');
        assert.deepEqual(state.outbox.map((entry) => [entry.status, entry.lastError, entry.attempts]), [1, 2, 3].map(() => ['parked', said, 1]));
        assert.deepEqual(errorCodes(night), ['MC_DEAD_LETTERS']);
        assert.match(String(night.lines.at(-1)?.['msg']), new RegExp(`^0 dead letters and 3 parked conversations left by this run \\(last error: ${said.replace(/[.()…]/g, '\\$&')}\\): the parked ones \\(redirected: a 3xx, never followed\\) wait in the outbox`));
        const text = night.stdout + night.stderr;
        assert.ok(!/4xx/.test(night.lines.filter((line) => line['level'] >= 40 && line['code'] !== 'MC_PARKED_WAITING').map((line) => line['msg']).join('\n')), 'no line of this run calls the redirect a 4xx');
        assert.ok(night.lines.some((line) => line['msg'] === 'webhook redirected a conversation (not followed): parked' && line['error'] === said));
        assert.ok(!text.includes(token), 'the path, which may hold a token, is not shown');

        const check = await runCli(['check'], env);
        assert.equal(check.code, 6, outcome(check));
        assert.deepEqual(errorCodes(check), ['MC_WEBHOOK_REDIRECTED']);
        assert.match(String(check.lines.at(-1)?.['msg']), new RegExp(`^WEBHOOK_URL ${hook.url}/… answered a HEAD with ${said.replace(/[.()…]/g, '\\$&')}; deliveries never follow a redirect`));
        assert.deepEqual(elsewhere.requests, [], 'check did not follow it either');
        assert.ok(!(check.stdout + check.stderr).includes(token));
      } finally {
        await Promise.all([standIn.close(), hook.close(), elsewhere.close()]);
      }
    });
  }
});
