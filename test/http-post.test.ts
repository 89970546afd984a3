// post() on node:http against local servers: replies, keep-alive reuse, timeouts, cut bodies, refusals and aborts.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { post } from '../src/http/post.js';
import { RetryableError } from '../src/http/retry.js';

const bounded = { timeout: 2_000 };

interface Local {
  readonly url: string;
  /** Remote ports of the connections the server accepted, in order. */
  readonly connections: number[];
}

/** Runs `work` against a server on 127.0.0.1 that answers with `handle`, then closes it and its connections. */
async function withServer<T>(handle: (req: IncomingMessage, res: ServerResponse) => void, work: (local: Local) => Promise<T>, tune?: (server: Server) => void): Promise<T> {
  const connections: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      (req as IncomingMessage & { raw?: string }).raw = Buffer.concat(chunks).toString('utf8');
      handle(req, res);
    });
  });
  server.on('connection', (socket) => connections.push(socket.remotePort ?? -1));
  tune?.(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await work({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, connections });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const rawBody = (req: IncomingMessage) => (req as IncomingMessage & { raw?: string }).raw ?? '';
const ok = (text: string) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};
const isRetryable = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof RetryableError, `a RetryableError, not ${String(error)}`);
  assert.match(error.message, pattern);
  assert.ok(error.cause !== undefined, 'keeps its cause');
  return true;
};

describe('post', () => {
  test('200: sends the body, headers and content-length, and reads the reply as UTF-8 text', bounded, async () => {
    let seen: { method?: string; length?: string; type?: string; body?: string } = {};
    await withServer(
      (req, res) => {
        seen = { method: req.method, length: req.headers['content-length'], type: req.headers['content-type'], body: rawBody(req) };
        ok('réponse ✓')(req, res);
      },
      async ({ url }) => {
        const reply = await post(url, '{"q":"é"}', { 'content-type': 'application/json' }, { timeoutMs: 1_000 });
        assert.deepEqual([reply.status, reply.text], [200, 'réponse ✓']);
        assert.deepEqual(seen, { method: 'POST', length: String(Buffer.byteLength('{"q":"é"}')), type: 'application/json', body: '{"q":"é"}' });
      },
    );
  });

  test('a URL that is not http(s) is a caller\'s bug: a TypeError at once, never a retry', bounded, async () => {
    for (const url of ['ftp://127.0.0.1/x', 'not a url']) {
      await assert.rejects(post(url, '', {}, { timeoutMs: 1_000 }), (error: unknown) => error instanceof TypeError && !(error instanceof RetryableError) && /http:\/\/ or https:\/\//.test(error.message));
    }
  });

  test('a non-2xx status is a reply, body included', bounded, async () => {
    await withServer(
      (_req, res) => res.writeHead(422, { 'content-type': 'text/plain' }).end('nope'),
      async ({ url }) => {
        const reply = await post(url, '', {}, { timeoutMs: 1_000 });
        assert.deepEqual([reply.status, reply.text], [422, 'nope']);
      },
    );
  });

  test('keep-alive: two calls share one connection', bounded, async () => {
    await withServer(ok('{}'), async ({ url, connections }) => {
      assert.equal((await post(url, 'a', {}, { timeoutMs: 1_000 })).status, 200);
      assert.equal((await post(url, 'b', {}, { timeoutMs: 1_000 })).status, 200);
      assert.equal(connections.length, 1, `one connection, not ${connections.length}`);
    });
  });

  test('an idle connection the server closed is not reused', bounded, async () => {
    let closed!: Promise<void>;
    await withServer(
      ok('{}'),
      async ({ url, connections }) => {
        assert.equal((await post(url, 'a', {}, { timeoutMs: 1_000 })).status, 200);
        // The server's side closes only once the client has seen the server's FIN and closed its own: no sleep.
        await closed;
        assert.equal((await post(url, 'b', {}, { timeoutMs: 1_000 })).status, 200);
        assert.equal(connections.length, 2);
      },
      (server) => {
        server.keepAliveTimeout = 50;
        closed = new Promise((resolve) => server.once('connection', (socket) => socket.once('close', () => resolve())));
      },
    );
  });

  test('a kept-alive connection reset on reuse is a RetryableError, and the next call connects afresh', bounded, async () => {
    const seen = new Set<unknown>();
    await withServer(
      (req, res) => {
        if (seen.has(req.socket)) return void req.socket.destroy();
        seen.add(req.socket);
        ok('{}')(req, res);
      },
      async ({ url, connections }) => {
        assert.equal((await post(url, 'a', {}, { timeoutMs: 1_000 })).status, 200);
        await assert.rejects(post(url, 'b', {}, { timeoutMs: 1_000 }), isRetryable(/^POST http:\/\/127\.0\.0\.1:\d+\/x: ECONNRESET$/));
        assert.equal((await post(url, 'c', {}, { timeoutMs: 1_000 })).status, 200);
        assert.equal(connections.length, 2);
      },
    );
  });

  test('a server that hangs before its headers: no reply within the timeout', bounded, async () => {
    await withServer(
      () => {},
      async ({ url }) => {
        // The server never answers: only the timeout can end the request, and its message says which one fired.
        await assert.rejects(post(url, 'x', {}, { timeoutMs: 150 }), isRetryable(/^POST http:\/\/127\.0\.0\.1:\d+\/x: no reply within 150 ms$/));
      },
    );
  });

  test('a server that stalls mid-body: no reply within the timeout', bounded, async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(200, { 'content-length': 100 });
        res.write('0123456789');
      },
      async ({ url }) => {
        await assert.rejects(post(url, 'x', {}, { timeoutMs: 150 }), isRetryable(/: no reply within 150 ms$/));
      },
    );
  });

  test('a body cut short (10 of 100 bytes, then the connection drops) is a RetryableError', bounded, async () => {
    await withServer(
      (req, res) => {
        res.writeHead(200, { 'content-length': 100 });
        res.write('0123456789', () => req.socket.destroy());
      },
      async ({ url }) => {
        await assert.rejects(post(url, 'x', {}, { timeoutMs: 1_000 }), isRetryable(/^POST http:\/\/127\.0\.0\.1:\d+\/x: ECONNRESET$/));
      },
    );
  });

  test('connection refused is a RetryableError', bounded, async () => {
    const url = await withServer(ok(''), async ({ url }) => url);
    await assert.rejects(post(url, 'x', {}, { timeoutMs: 1_000 }), isRetryable(/^POST http:\/\/127\.0\.0\.1:\d+\/x: ECONNREFUSED$/));
  });

  test('shownAs names the URL in its errors instead of its path (a webhook whose path is a token)', bounded, async () => {
    await withServer(
      (req) => void req.socket.destroy(),
      async ({ url }) => {
        const secretUrl = url.replace(/\/x$/, '/hook/path-token?token=q');
        const origin = new URL(url).origin;
        await assert.rejects(post(secretUrl, 'x', {}, { timeoutMs: 1_000, shownAs: `${origin}/…` }), (error: unknown) => {
          isRetryable(/^POST http:\/\/127\.0\.0\.1:\d+\/…: ECONNRESET$/)(error);
          assert.doesNotMatch((error as Error).message, /path-token|token=/);
          return true;
        });
      },
    );
  });

  test('an already aborted signal rejects with its reason, without a request', bounded, async () => {
    await withServer(ok('{}'), async ({ url, connections }) => {
      const reason = new Error('shutting down');
      await assert.rejects(post(url, 'x', {}, { timeoutMs: 1_000, signal: AbortSignal.abort(reason) }), (error) => error === reason);
      assert.equal(connections.length, 0);
    });
  });

  test('an abort in flight rejects with the reason and drops the request', bounded, async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    let closed!: Promise<void>;
    await withServer(
      (req) => {
        closed = new Promise((resolve) => req.socket.once('close', () => resolve()));
        controller.abort(reason); // once the request is in flight, not after a guessed delay
      },
      async ({ url }) => {
        const pending = post(url, 'x', {}, { timeoutMs: 60_000, signal: controller.signal });
        await assert.rejects(pending, (error) => error === reason);
        await closed;
      },
    );
  });

  test('retry-after is readable through headers.get, any case; absent is null', bounded, async () => {
    await withServer(
      (req, res) => {
        const headers = rawBody(req) === 'busy' ? { 'Retry-After': '7' } : {};
        res.writeHead(rawBody(req) === 'busy' ? 503 : 200, headers).end();
      },
      async ({ url }) => {
        const busy = await post(url, 'busy', {}, { timeoutMs: 1_000 });
        assert.deepEqual([busy.status, busy.headers.get('retry-after'), busy.headers.get('Retry-After')], [503, '7', '7']);
        const fine = await post(url, 'fine', {}, { timeoutMs: 1_000 });
        assert.deepEqual([fine.status, fine.headers.get('retry-after'), fine.text], [200, null, '']);
      },
    );
  });
});
