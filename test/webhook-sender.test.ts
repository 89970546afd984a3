// The webhook sender against real receivers on 127.0.0.1, with the retry layer's waits recorded (an injected sleep
// that returns at once): Retry-After replaces the backoff, redirects are parked and never followed, a webhook nothing
// listens at is unreachable at once, the static headers travel with every attempt, and POSTs are counted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { webhookSender, type SendWebhookBody } from '../src/delivery/webhook-sender.js';
import { retryAfterJitter, type RetryOptions } from '../src/http/retry.js';
import { startWebhookReceiver, type Reply } from './fixtures/webhook-receiver.ts';
import { freePort } from './helpers/free-port.js';

const bounded = { timeout: 10_000 };

/** A sender whose retry layer records each wait it asks for instead of sleeping. */
function recordingSender(url: string, extra: Partial<RetryOptions> = {}, headers: Record<string, string> = {}): { send: SendWebhookBody; waits: number[] } {
  const waits: number[] = [];
  const retry: RetryOptions = { retries: 5, minDelayMs: 1_000, maxDelayMs: 30_000, retryAfterCapMs: 60_000, sleep: async (ms) => void waits.push(ms), ...extra };
  return { send: webhookSender({ url, timeoutMs: 2_000, retry, userAgent: 'memory-cron/test', headers }), waits };
}

// Bodies of the sender's own shape: these tests are of the sender, not of what a body says (the e2e suites check that).
const body = (i: number) => ({ id: `conv_${i}`, messages: [] });

describe('webhookSender', () => {
  test('429 with Retry-After: 1 to every first attempt: each retry waits 1 s plus at most 10% jitter, not the backoff on top', bounded, async () => {
    const receiver = await startWebhookReceiver({ validate: false, respond: (_d, attempt): Reply => (attempt === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 }) });
    try {
      const { send, waits } = recordingSender(receiver.url);
      for (let i = 0; i < 20; i++) assert.deepEqual(await send(body(i), `conv_${i}`), { ok: true, status: 200, attempts: 2 });
      assert.equal(waits.length, 20, 'one wait per 429');
      for (const wait of waits) assert.ok(wait >= 1_000 && wait <= 1_000 * (1 + retryAfterJitter), `waited ${wait} ms for Retry-After: 1`);
      assert.equal(receiver.accepted.size, 20);
      assert.equal(receiver.deliveries.length, 40);
    } finally {
      await receiver.close();
    }
  });

  test('Retry-After is capped (RETRY_AFTER_CAP), and without one the backoff doubles from the first delay', bounded, async () => {
    const receiver = await startWebhookReceiver({ validate: false, respond: (delivery, attempt): Reply => (delivery.idempotencyKey === 'conv_capped' ? (attempt === 1 ? { status: 503, headers: { 'Retry-After': '3600' } } : { status: 200 }) : attempt <= 3 ? { status: 503 } : { status: 200 }) });
    try {
      const capped = recordingSender(receiver.url, { retryAfterCapMs: 2_000 });
      assert.equal((await capped.send(body(0), 'conv_capped')).ok, true);
      assert.ok(capped.waits[0]! >= 2_000 && capped.waits[0]! <= 2_200, `capped at 2 s (+ jitter): ${capped.waits}`);
      const backoff = recordingSender(receiver.url, { minDelayMs: 100 });
      assert.deepEqual(await backoff.send(body(1), 'conv_backoff'), { ok: true, status: 200, attempts: 4 });
      assert.equal(backoff.waits.length, 3);
      backoff.waits.forEach((wait, i) => assert.ok(wait >= 100 * 2 ** i && wait <= 200 * 2 ** i, `wait ${i + 1}: ${wait} ms`));
    } finally {
      await receiver.close();
    }
  });

  for (const status of [301, 302, 307, 308]) {
    test(`a ${status} is parked as a redirect naming the Location as the webhook is named, never followed`, bounded, async () => {
      const elsewhere = await startWebhookReceiver({ validate: false });
      const token = 'query-token-8c2f61';
      const receiver = await startWebhookReceiver({ validate: false, respond: () => ({ status, headers: { Location: `${elsewhere.url}?token=${token}` } }) });
      try {
        const { send, waits } = recordingSender(`${receiver.url}?token=${token}`);
        const outcome = await send(body(1), 'conv_1');
        assert.deepEqual(outcome, { ok: false, permanent: true, redirected: true, attempts: 1, error: `HTTP ${status} to ${new URL(elsewhere.url).origin}/… (the same path): set WEBHOOK_URL to it` });
        assert.ok(!JSON.stringify(outcome).includes(token), 'the token is not shown');
        assert.deepEqual([waits.length, elsewhere.deliveries.length], [0, 0], 'no retry, no request to the Location');
      } finally {
        await Promise.all([receiver.close(), elsewhere.close()]);
      }
    });
  }

  test('a redirect to the same path on https, or with a trailing slash, says so', bounded, async () => {
    let location = '';
    const receiver = await startWebhookReceiver({ validate: false, respond: () => ({ status: 308, headers: { Location: location } }) });
    try {
      const { send } = recordingSender(receiver.url);
      location = receiver.url.replace('http://', 'https://');
      assert.equal((await send(body(1), 'conv_1')).ok === false && (await send(body(2), 'conv_2') as { error: string }).error, `HTTP 308 to ${new URL(location).origin}/… (the same path): set WEBHOOK_URL to it`);
      location = '/hook/';
      assert.equal((await send(body(3), 'conv_3') as { error: string }).error, `HTTP 308 to ${new URL(receiver.url).origin}/… (the same path with a trailing slash): set WEBHOOK_URL to it`);
    } finally {
      await receiver.close();
    }
  });

  test('nothing listening: unreachable after one POST and no wait; once the webhook has answered, a refused connection is retried', bounded, async () => {
    const { send, waits } = recordingSender(`http://127.0.0.1:${await freePort()}/hook`);
    const outcome = await send(body(1), 'conv_1');
    assert.deepEqual(outcome, { ok: false, permanent: false, unreachable: true, attempts: 1, error: (outcome as { error: string }).error });
    assert.match((outcome as { error: string }).error, /^POST http:\/\/127\.0\.0\.1:\d+\/…: ECONNREFUSED$/);
    assert.deepEqual(waits, [], 'no backoff retries');

    const receiver = await startWebhookReceiver({ validate: false });
    const answered = recordingSender(receiver.url, { retries: 2, minDelayMs: 10 });
    try {
      assert.equal((await answered.send(body(2), 'conv_2')).ok, true);
    } finally {
      await receiver.close();
    }
    assert.deepEqual(await answered.send(body(3), 'conv_3'), { ok: false, permanent: false, attempts: 3, error: (await answered.send(body(4), 'conv_4') as { error: string }).error });
    assert.equal(answered.waits.length, 4, 'retried like any network error: two waits per delivery');
  });

  test('the static headers travel with every attempt, beside the job\'s own', bounded, async () => {
    const receiver = await startWebhookReceiver({ validate: false, respond: (delivery, attempt): Reply => (delivery.headers['authorization'] !== 'Bearer hook-token' ? { status: 403 } : attempt === 1 ? { status: 503 } : { status: 200 }) });
    try {
      const { send } = recordingSender(receiver.url, {}, { Authorization: 'Bearer hook-token', 'X-Tenant': 'sales' });
      assert.deepEqual(await send(body(1), 'conv_1'), { ok: true, status: 200, attempts: 2 });
      for (const delivery of receiver.deliveries) {
        assert.deepEqual([delivery.headers['authorization'], delivery.headers['x-tenant'], delivery.headers['idempotency-key'], delivery.headers['content-type']], ['Bearer hook-token', 'sales', 'conv_1', 'application/json']);
      }
    } finally {
      await receiver.close();
    }
  });
});
