import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { isMcError } from '../src/errors.js';
import { apiPageReader } from '../src/source/api-source.js';

describe('the AnythingLLM API source', () => {
  it('does not follow a redirect, and names where BASE_URL should point (exit 4, MC_SOURCE_REJECTED)', async () => {
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      req.resume().on('end', () => res.writeHead(301, { location: 'https://chat.example.invalid/api/v1/admin/workspace-chats' }).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const readPage = apiPageReader({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: 'k', timeoutMs: 2000, retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5, retryAfterCapMs: 5 } });
      await assert.rejects(readPage(0, false), (error) => isMcError(error) && error.code === 'MC_SOURCE_REJECTED' && /HTTP 301, redirecting to https:\/\/chat\.example\.invalid\/api\/v1\/admin\/workspace-chats; set BASE_URL/.test(error.message));
      assert.equal(requests, 1, 'asked once, not retried, not followed');
    } finally {
      server.close();
    }
  });
});
