// Tests of the test fixtures themselves: the AnythingLLM stand-in, the webhook receiver,
// the chat generator and the reference oracle.
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { classifyGenerated, generateChats, generatedDefect, writeNdjson } from './fixtures/chat-generator.ts';
import { makeChat, type RawChat } from './fixtures/raw-chat.ts';
import { badReason, referenceConversations, referenceFate } from './fixtures/reference-conversations.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';

const PATH = '/api/v1/admin/workspace-chats';
const T0 = Date.parse('2026-11-23T16:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const chatsUpTo = (n: number) => Array.from({ length: n }, (_, i) => makeChat({ id: i + 1, createdAt: at(i) }));
const ids = (rows: RawChat[]) => rows.map((c) => c['id']);

function page(s: StandIn, offset: unknown, o: { key?: string | null; type?: string | null; body?: string } = {}) {
  const headers: Record<string, string> = {};
  if (o.key !== null) headers['authorization'] = `Bearer ${o.key ?? s.apiKey}`;
  if (o.type !== null) headers['content-type'] = o.type ?? 'application/json';
  const body = new TextEncoder().encode(o.body ?? JSON.stringify({ offset })); // bytes: fetch adds no content type
  return fetch(s.url + PATH, { method: 'POST', headers, body });
}
const json = async (r: Response) => (await r.json()) as { chats: RawChat[]; hasPages: boolean };

describe('AnythingLLM stand-in', () => {
  let s: StandIn;
  before(async () => (s = await startStandIn({ chats: chatsUpTo(45) })));
  after(() => s.close());

  test('serves 20 rows a page, id descending, hasPages while more pages follow', async () => {
    const pages = [await json(await page(s, 0)), await json(await page(s, 1)), await json(await page(s, 2)), await json(await page(s, 3))];
    assert.deepEqual(ids(pages[0]!.chats), Array.from({ length: 20 }, (_, i) => 45 - i));
    assert.deepEqual(ids(pages[2]!.chats), [5, 4, 3, 2, 1]);
    assert.deepEqual(pages.map((p) => p.hasPages), [true, true, false, false]);
    assert.deepEqual(pages[3]!.chats, []);
    assert.deepEqual(Object.keys(pages[0]!.chats[0]!).sort(), ['api_session_id', 'createdAt', 'feedbackScore', 'id', 'include', 'lastUpdatedAt', 'memoryProcessed', 'prompt', 'response', 'thread_id', 'user', 'user_id', 'workspace', 'workspaceId']);
  });

  test('answers 403 with AnythingLLM body for a missing or wrong key', async () => {
    for (const key of [null, 'wrong']) {
      const r = await page(s, 0, { key });
      assert.equal(r.status, 403);
      assert.deepEqual(await r.json(), { error: 'No valid api key found.' });
    }
    assert.equal(s.requests.at(-1)!.status, 403);
  });

  test('ignores the body without a JSON, text or form Content-Type (serves page 0); JSON-parses a text/plain body, 500 when it is not JSON', async () => {
    assert.equal(ids((await json(await page(s, 1, { type: null }))).chats)[0], 45);
    assert.equal(ids((await json(await page(s, 1, { type: 'text/html' }))).chats)[0], 45);
    assert.equal(ids((await json(await page(s, 1, { type: 'text/plain' }))).chats)[0], 25);
    assert.equal(ids((await json(await page(s, 1, { type: 'application/json; charset=utf-8' }))).chats)[0], 25);
    assert.equal(s.requests.at(-4)!.offset, undefined);
    const notJson = await page(s, 1, { type: 'text/plain', body: 'offset=1' });
    assert.deepEqual([notJson.status, await notJson.text()], [500, 'Internal Server Error']);
    assert.equal((await page(s, 1, { type: 'text/plain', body: 'offset=1', key: 'wrong' })).status, 403, 'the key is checked first');
  });

  test('rejects malformed JSON with 400, and unknown paths or methods with 404', async () => {
    assert.equal((await page(s, 0, { body: '{"offset":' })).status, 400);
    assert.equal((await fetch(s.url + '/api/v1/admin/workspace-chatz', { method: 'POST' })).status, 404);
    assert.equal((await fetch(s.url + PATH)).status, 404);
  });

  test('with webPage, answers other paths and methods with the web page (200, HTML), as a production server does', async () => {
    const web = await startStandIn({ chats: chatsUpTo(3), webPage: true });
    try {
      for (const response of [await fetch(web.url + '/api/v1/admin/workspace-chatz', { method: 'POST' }), await fetch(web.url + PATH)]) {
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type')!, /^text\/html/);
        assert.match(await response.text(), /<html/i);
      }
      assert.equal((await json(await page(web, 0))).chats.length, 3);
    } finally {
      await web.close();
    }
  });

  test('applies JavaScript coercion to odd offsets like the real route', async () => {
    assert.deepEqual(await json(await page(s, -1)), { chats: [], hasPages: true });
    assert.equal((await json(await page(s, 'x'))).chats.length, 0);
    assert.equal(ids((await json(await page(s, null))).chats)[0], 45);
  });

  test('serves each fault kind, then recovers', async () => {
    s.fault({ kind: 'status', status: 503 });
    s.fault({ kind: 'status', status: 429, retryAfter: '7' });
    s.fault({ kind: 'html' });
    s.fault({ kind: 'html200' });
    s.fault({ kind: 'truncated' });
    s.fault({ kind: 'empty' });
    s.fault({ kind: 'ignoreOffset' });
    assert.equal((await page(s, 1)).status, 503);
    const limited = await page(s, 1);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    const html = await page(s, 1);
    assert.equal(html.status, 502);
    assert.match(html.headers.get('content-type')!, /text\/html/);
    const html200 = await page(s, 1);
    assert.equal(html200.status, 200);
    assert.match(await html200.text(), /<html/i);
    const truncated = await page(s, 1);
    assert.equal(truncated.status, 200);
    const cut = await truncated.text();
    assert.ok(cut.startsWith('{"chats":[{'));
    assert.throws(() => JSON.parse(cut));
    assert.deepEqual(await json(await page(s, 1)), { chats: [], hasPages: false });
    assert.equal(ids((await json(await page(s, 1))).chats)[0], 45);
    assert.equal(ids((await json(await page(s, 1))).chats)[0], 25);
  });

  test('resets the connection, hangs, and repeats a fault `times` times', async () => {
    s.fault({ kind: 'reset' });
    await assert.rejects(page(s, 0));
    s.fault({ kind: 'hang', ms: 150 });
    const started = Date.now();
    assert.equal((await json(await page(s, 0))).chats.length, 20);
    assert.ok(Date.now() - started >= 140);
    s.fault({ kind: 'status', status: 500 }, 2);
    assert.deepEqual([(await page(s, 0)).status, (await page(s, 0)).status, (await page(s, 0)).status], [500, 500, 200]);
  });

  test('keeps connections alive between pages', async () => {
    const agent = new Agent({ keepAlive: true });
    const post = () =>
      new Promise<boolean>((resolve, reject) => {
        const req = request(s.url + PATH, { method: 'POST', agent, headers: { authorization: `Bearer ${s.apiKey}` } }, (res) => {
          res.resume().on('end', () => resolve(req.reusedSocket));
        });
        req.on('error', reject).end();
      });
    assert.deepEqual([await post(), await post()], [false, true]);
    agent.destroy();
  });

  test('is a live table: rows added mid-paging shift later pages; malformed rows are stored raw', async () => {
    const live = await startStandIn({ chats: chatsUpTo(40) });
    live.onPage = (offset) => offset === 1 && live.add(makeChat({ id: 41, createdAt: at(41) }), makeChat({ id: 42, createdAt: at(42) }));
    const first = await json(await page(live, 0));
    const second = await json(await page(live, 1));
    assert.deepEqual(ids(second.chats).slice(0, 2), [22, 21]); // two rows of page 0 come again
    assert.equal(first.hasPages && second.hasPages, true);
    live.chats.push({ prompt: 'no id' }, makeChat({ id: 43, createdAt: 'not a date' }));
    const top = await json(await page(live, 0));
    assert.deepEqual(ids(top.chats).slice(0, 2), [43, 42]);
    const last = await json(await page(live, 2));
    assert.deepEqual(last.chats.at(-1), { prompt: 'no id' });
    await live.close();
  });

  // How fast is the bench's business (test/bench/): here only what is served.
  test('generates 400,000 chats and serves any page of them, newest first, a row added on top included', async () => {
    const chats = generateChats({ count: 400_000, seed: 1, start: new Date(T0 - 365 * 86_400_000), end: new Date(T0) });
    assert.equal(chats.length, 400_000);
    const big = await startStandIn({ chats });
    for (let p = 0; p < 50; p++) {
      const served = ids((await json(await page(big, p * 300))).chats);
      assert.equal(served.length, 20);
      assert.deepEqual(served, [...served].sort((a, b) => Number(b) - Number(a)), `page ${p * 300} is newest first`);
    }
    big.add(makeChat({ id: 400_001, createdAt: at(0) }));
    assert.equal(ids((await json(await page(big, 0))).chats)[0], 400_001);
    await big.close();
  });
});

describe('webhook receiver', () => {
  const secret = 'whsec_' + Buffer.from('a 24-byte test secret :)').toString('base64');
  const sign = (key: Buffer | string, id: string, ts: number, body: string) =>
    'v1,' + createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  const post = (url: string, body: string, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  test('accepts a correct Standard Webhooks signature and rejects a wrong or stale one', async () => {
    const r = await startWebhookReceiver({ secret, validate: false });
    const key = Buffer.from(secret.slice(6), 'base64');
    const body = JSON.stringify({ id: 'c1', messages: ['héllo 🚀'] });
    const ts = Math.floor(Date.now() / 1000);
    const good = { 'idempotency-key': 'c1', 'webhook-id': 'c1', 'webhook-timestamp': String(ts) };
    assert.equal((await post(r.url, body, { ...good, 'webhook-signature': `v1,bm9wZQ== ${sign(key, 'c1', ts, body)}` })).status, 200);
    assert.equal((await post(r.url, body, { ...good, 'webhook-signature': sign('other', 'c1', ts, body) })).status, 401);
    const old = ts - 3600;
    assert.equal((await post(r.url, body, { ...good, 'webhook-timestamp': String(old), 'webhook-signature': sign(key, 'c1', old, body) })).status, 401);
    assert.deepEqual(r.deliveries.map((d) => d.signatureValid), [true, false, false]);
    assert.deepEqual(r.accepted.get('c1'), JSON.parse(body));
    await r.close();
    const raw = await startWebhookReceiver({ secret: 'plain-secret', validate: false });
    const ok = await post(raw.url, body, { ...good, 'webhook-signature': sign('plain-secret', 'c1', ts, body) });
    assert.equal(ok.status, 200);
    await raw.close();
  });

  test('dedupes by Idempotency-Key, counts attempts, and plays scripted replies', async () => {
    const r = await startWebhookReceiver({
      validate: false,
      respond: (d, attempt) => (d.idempotencyKey === 'gone' ? { status: 410 } : attempt === 1 ? { status: 503, headers: { 'Retry-After': '2' } } : attempt === 2 ? { reset: true } : { status: 202, delayMs: 50 }),
    });
    const send = (key: string) => post(r.url, JSON.stringify({ id: key }), { 'idempotency-key': key });
    const first = await send('k');
    assert.deepEqual([first.status, first.headers.get('retry-after')], [503, '2']);
    await assert.rejects(send('k'));
    assert.equal((await send('k')).status, 202);
    assert.equal((await send('k')).status, 200); // duplicate, not stored again
    assert.equal((await send('gone')).status, 410);
    assert.deepEqual(r.deliveries.map((d) => d.status), [503, 0, 202, 200, 410]);
    assert.deepEqual([...r.accepted.keys()], ['k']);
    assert.equal(r.deliveries[0]!.signatureValid, null);
    r.clear();
    assert.equal(r.deliveries.length + r.accepted.size, 0);
    await r.close();
  });

  test('answers 422 to a body its schema does not describe, and close() then fails naming it', async () => {
    const r = await startWebhookReceiver();
    const leaky = { type: 'conversation', id: 'conv_x', workspace: { id: 1, name: 'S', slug: 's' }, threadId: null, startedAt: '2026-11-23T16:00:00.000Z', endedAt: '2026-11-23T16:00:00.000Z', continues: null, messages: [{ chatId: 1, role: 'user', content: 'hi', createdAt: '2026-11-23T16:00:00.000Z', attachments: [{ name: 'a.png', mime: 'image/png', bytes: 3, contentString: 'data:image/png;base64,AAAA' }] }] };
    const answer = await post(r.url, JSON.stringify(leaky), { 'idempotency-key': 'conv_x' });
    assert.equal(answer.status, 422);
    assert.match(await answer.text(), /\/messages\/0\/attachments\/0 must NOT have additional properties \{"additionalProperty":"contentString"\}/);
    await assert.rejects(r.close(), /the receiver got 1 bodies the schema does not describe; the first, conv_x:/);
  });

  test('takes bodies of several MB', async () => {
    const r = await startWebhookReceiver({ validate: false });
    const body = JSON.stringify({ id: 'big', text: 'x'.repeat(6_000_000) });
    assert.equal((await post(r.url, body, { 'idempotency-key': 'big' })).status, 200);
    assert.equal(r.deliveries[0]!.raw.length, body.length);
    await r.close();
  });
});

describe('chat generator and reference oracle', () => {
  const base = { count: 20_000, start: new Date(T0 - 30 * 86_400_000), end: new Date(T0), realNowMs: T0 };

  test('is deterministic per seed, with ids ascending and createdAt within range', () => {
    const a = generateChats({ ...base, seed: 7, badRate: 0.01 });
    assert.deepEqual(a, generateChats({ ...base, seed: 7, badRate: 0.01 }));
    assert.notDeepEqual(a.slice(0, 50), generateChats({ ...base, seed: 8, badRate: 0.01 }).slice(0, 50));
    const good = a.filter((c) => !generatedDefect(c));
    for (let i = 1; i < good.length; i++) assert.ok((good[i]!['id'] as number) > (good[i - 1]!['id'] as number));
    assert.ok(good.every((c) => Date.parse(c['createdAt'] as string) >= base.start.getTime() && Date.parse(c['createdAt'] as string) <= T0));
    assert.ok(good.some((c, i) => i > 0 && (c['createdAt'] as string) < (good[i - 1]!['createdAt'] as string)), 'createdAt only roughly follows id');
    assert.ok(a.some((c) => c['thread_id'] === null) && a.some((c) => c['response'] === '{}') && a.some((c) => !(c['response'] as string).startsWith('{')));
  });

  test('makes the requested share of hidden and bad rows, each kind of defect, as the oracle judges them', () => {
    const chats = generateChats({ ...base, seed: 3, hiddenRate: 0.04, badRate: 0.05 });
    const share = (kind: string) => chats.filter((c) => classifyGenerated(c) === kind).length / chats.length;
    assert.ok(Math.abs(share('bad') - 0.05) < 0.01 && Math.abs(share('hidden') - 0.04 * 0.95) < 0.01);
    assert.equal(new Set(chats.map(generatedDefect).filter(Boolean)).size, 5);
    for (const c of chats) assert.equal(referenceFate(c, false, T0), classifyGenerated(c) === 'visible' ? 'kept' : classifyGenerated(c));
  });

  test('oracle: a gap equal to the window stays, a longer one splits; hidden rows neither bridge nor split', () => {
    const rows = [
      makeChat({ id: 1, createdAt: at(0) }),
      makeChat({ id: 2, createdAt: at(60) }), // exactly the gap: same conversation
      makeChat({ id: 3, createdAt: at(90), include: false }), // hidden: does not bridge
      makeChat({ id: 4, createdAt: at(121) }), // 61 min after id 2: new conversation
      makeChat({ id: 5, createdAt: at(121), thread_id: 9 }),
      { ...makeChat({ id: 6, createdAt: at(0) }), workspaceId: '1' },
    ];
    const convs = referenceConversations(rows, { gapMs: 3_600_000, nowMs: T0 + 181 * 60_000, realNowMs: T0 });
    assert.deepEqual(convs.map((c) => [c.chatIds, c.threadId, c.closed]), [[[1, 2], null, true], [[4], null, false], [[5], 9, false]]);
    assert.equal(badReason(rows[5]!), 'workspaceId');
  });

  test('writes NDJSON one record a line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fixtures-'));
    const chats = generateChats({ ...base, count: 30, seed: 1 });
    await writeNdjson(join(dir, 'chats.ndjson'), chats);
    const lines = (await readFile(join(dir, 'chats.ndjson'), 'utf8')).trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l)), chats);
    await rm(dir, { recursive: true });
  });
});
