// What the real AnythingLLM server's admin chat API does (../shared/anythingllm, seeded through its own
// models): the stand-in answers every request the job could send exactly as it does, the fixtures build
// records of its shape, and rows change in place the way DESIGN §1 says (agent chats, edits, resets,
// deletes). Without a buildable server this file fails; it never skips.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStandIn, type StandIn } from './fixtures/anythingllm-stand-in.ts';
import { generateChats } from './fixtures/chat-generator.ts';
import { makeChat, type RawChat } from './fixtures/raw-chat.ts';
import { startRealAnythingLlm, type RealAnythingLlm } from './fixtures/real-anythingllm.ts';

const PATH = '/api/v1/admin/workspace-chats';
const isoMs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
type Row = Record<string, any>;

/** The nullable type of each field the job reads, as AnythingLLM's schema and whereWithData give them. */
const FIELD_TYPES: Record<string, readonly string[]> = {
  id: ['number'],
  workspaceId: ['number'],
  prompt: ['string'],
  response: ['string'],
  include: ['boolean'],
  user_id: ['number', 'null'],
  thread_id: ['number', 'null'],
  api_session_id: ['string', 'null'],
  createdAt: ['string'],
  lastUpdatedAt: ['string'],
  feedbackScore: ['boolean', 'null'],
  memoryProcessed: ['boolean', 'null'],
  workspace: ['object'],
  user: ['object'],
};
const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** The `user` whereWithData attaches: the username (any, when `usernames` is not given), "API" for an API session, or "unknown user". */
function expectedUser(row: Row, usernames?: ReadonlyMap<number, string>): { username: string } {
  if (row['user_id'] !== null) return { username: usernames?.get(row['user_id']) ?? String(row['user']?.['username']) };
  return { username: row['api_session_id'] !== null ? 'API' : 'unknown user' };
}

/** One request as the job (or a misconfigured proxy) might send it. */
interface Ask {
  readonly name: string;
  readonly body?: string;
  /** Content-Type; null sends none. */
  readonly type?: string | null;
  /** Bearer key; null sends no Authorization header, a string starting with a space the header after "Bearer". */
  readonly key?: string | null;
  readonly authorization?: string;
  readonly method?: string;
  readonly path?: string;
}

/** Status, media type and body (JSON parsed; an HTML page reduced to a marker) of one answer. */
async function answer(url: string, apiKey: string, ask: Ask): Promise<{ status: number; type: string; body: unknown }> {
  const headers: Record<string, string> = {};
  const key = ask.key === undefined ? apiKey : ask.key;
  if (ask.authorization !== undefined) headers['authorization'] = ask.authorization.replace('KEY', apiKey);
  else if (key !== null) headers['authorization'] = `Bearer ${key}`;
  if (ask.type !== null) headers['content-type'] = ask.type ?? 'application/json';
  const method = ask.method ?? 'POST';
  const body = method === 'GET' || ask.body === undefined ? undefined : new TextEncoder().encode(ask.body); // bytes: fetch adds no type
  const response = await fetch(url + (ask.path ?? PATH), { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(30_000) });
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const text = await response.text();
  return { status: response.status, type, body: type === 'application/json' ? JSON.parse(text) : type === 'text/html' ? (/<html/i.test(text) ? 'an HTML page' : text) : text };
}

const page = (offset: unknown): string => JSON.stringify({ offset });

/** Every kind of request the comparison sends (the table holds exactly 60 rows: three full pages). */
const ASKS: readonly Ask[] = [
  ...[0, 1, 2, 3, 4, 40].map((offset) => ({ name: `page ${offset}`, body: page(offset) })),
  { name: 'an empty object', body: '{}' },
  { name: 'an empty JSON body', body: '' },
  { name: 'no body at all' },
  { name: 'a JSON array', body: '[1]' },
  { name: 'JSON with a charset', body: page(1), type: 'application/json; charset=utf-8' },
  { name: 'offset "1" (a string: skips 20, hasPages from "11"·20)', body: page('1') },
  { name: 'offset -1 (Prisma refuses the skip)', body: page(-1) },
  { name: 'offset 0.5', body: page(0.5) },
  { name: 'offset "x"', body: page('x') },
  { name: 'offset null', body: page(null) },
  { name: 'offset true', body: page(true) },
  { name: 'offset 1e300', body: page(1e300) },
  { name: 'no Content-Type', body: page(1), type: null },
  { name: 'text/plain JSON', body: page(1), type: 'text/plain' },
  { name: 'text/plain not JSON', body: 'offset=1', type: 'text/plain' },
  { name: 'text/plain null', body: 'null', type: 'text/plain' },
  { name: 'text/plain empty', body: '', type: 'text/plain' },
  { name: 'text/html', body: page(1), type: 'text/html' },
  { name: 'a form', body: 'offset=1', type: 'application/x-www-form-urlencoded' },
  { name: 'a +json type', body: page(1), type: 'application/merge-patch+json' },
  { name: 'malformed JSON', body: '{"offset":' },
  { name: 'a JSON number', body: '3' },
  { name: 'malformed JSON without a key', body: '{"offset":', key: null },
  { name: 'no key', body: page(0), key: null },
  { name: 'a wrong key', body: page(0), key: 'not-the-key' },
  { name: 'text/plain not JSON without a key', body: 'abc', type: 'text/plain', key: null },
  { name: '"Bearer" alone', body: page(0), authorization: 'Bearer' },
  { name: 'another scheme with the key (validApiKey reads the second word)', body: page(0), authorization: 'Basic KEY' },
  { name: 'the path with a trailing slash and capitals', body: page(1), path: '/api/v1/admin/Workspace-Chats/' },
  { name: 'GET on the endpoint', method: 'GET' },
  { name: 'an unknown path', body: page(0), path: '/api/v1/admin/workspace-chatz' },
  { name: 'BASE_URL with /api (the path twice)', body: page(0), path: '/api' + PATH },
];

let allm: RealAnythingLlm;
let rows: Row[];
let usernames: Map<number, string>;

before(async () => {
  // 60 chats: exactly three pages; seed 1 gives every kind (user, thread, API session, API without one, hidden, agent, feedback).
  allm = await startRealAnythingLlm({ chats: 60, users: 3, workspaces: 2, threads: 1, days: 1, seed: 1 });
  rows = await allm.readAll();
  usernames = new Map(allm.init.users.map((user) => [user.id, user.username]));
}, { timeout: 25 * 60_000 }); // a first build of the server takes minutes (rigTimeouts bound each step)
after(() => allm?.stop());

describe('the stand-in answers as the real AnythingLLM server does', () => {
  let standIn: StandIn;
  before(async () => (standIn = await startStandIn({ apiKey: allm.apiKey, chats: rows.map((row) => ({ ...row })), webPage: true })));
  after(() => standIn?.close());

  for (const ask of ASKS) {
    it(`the same answer to ${ask.name}`, async () => {
      const real = await answer(allm.url, allm.apiKey, ask);
      const standing = await answer(standIn.url, standIn.apiKey, ask);
      assert.deepEqual(standing, real);
    });
  }

  it('the real server serves 20 rows a page, id descending, hasPages false on the last page, then an empty page', async () => {
    const pages = await Promise.all([0, 1, 2, 3].map((offset) => allm.page(offset)));
    assert.deepEqual(pages.map((p) => p.chats.length), [20, 20, 20, 0]);
    assert.deepEqual(pages.map((p) => p.hasPages), [true, true, false, false]);
    const ids = pages.flatMap((p) => p.chats.map((row) => row['id'] as number));
    assert.deepEqual(ids, Array.from({ length: 60 }, (_, i) => 60 - i));
  });
});

describe('the fixtures build records of the real shape', () => {
  const fixtures = (): RawChat[] => [
    makeChat({ id: 1, createdAt: '2026-11-23T16:00:00.000Z' }),
    makeChat({ id: 2, createdAt: '2026-11-23T16:01:00.000Z', user_id: 4, thread_id: 7 }),
    makeChat({ id: 3, createdAt: '2026-11-23T16:02:00.000Z', api_session_id: 'slack-U111' }),
    ...generateChats({ count: 300, seed: 5, start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-11-03T00:00:00Z'), hiddenRate: 0.05 }),
  ];

  it('the real rows have the keys, key order and types the job relies on; so do makeChat and generateChats', () => {
    const keys = Object.keys(rows[0]!);
    assert.deepEqual(keys, Object.keys(FIELD_TYPES), 'the real key order');
    for (const [name, list] of [['real', rows], ['fixture', fixtures()]] as const) {
      for (const row of list) {
        assert.deepEqual(Object.keys(row), keys, `${name} row ${String(row['id'])}: keys`);
        for (const [key, types] of Object.entries(FIELD_TYPES)) assert.ok(types.includes(typeOf(row[key])), `${name} row ${String(row['id'])}: ${key} is ${typeOf(row[key])}`);
        assert.match(String(row['createdAt']), isoMs);
        assert.match(String(row['lastUpdatedAt']), isoMs);
        assert.deepEqual(Object.keys(row['workspace'] as object), ['name', 'slug']);
        assert.deepEqual(Object.keys(row['user'] as object), ['username']);
      }
    }
    for (const key of ['user_id', 'thread_id', 'api_session_id', 'feedbackScore']) {
      assert.ok(new Set(rows.map((row) => typeOf(row[key]))).size === 2, `the real sample has ${key} both null and set`);
    }
  });

  it('response is a JSON string holding an object with a text (real rows)', () => {
    for (const row of rows) {
      const parsed = JSON.parse(row['response']) as unknown;
      assert.equal(typeOf(parsed), 'object', `chat ${row['id']}`);
      assert.equal(typeof (parsed as Row)['text'], 'string', `chat ${row['id']}`);
    }
  });

  it('user is {username}, "API" for an API session, "unknown user" without either, in real rows and fixtures alike', () => {
    const shapes = new Set<string>();
    for (const row of rows) {
      assert.deepEqual(row['user'], expectedUser(row, usernames), `real chat ${row['id']}`);
      shapes.add(row['user_id'] !== null ? 'user' : row['user']['username']);
    }
    assert.deepEqual([...shapes].sort(), ['API', 'unknown user', 'user'], 'the real sample shows all three');
    for (const row of fixtures()) {
      assert.deepEqual(row['user'], expectedUser(row), `fixture chat ${String(row['id'])}`);
      if (row['user_id'] !== null) assert.ok(!['API', 'unknown user'].includes(row['user']['username']), `fixture chat ${String(row['id'])} has a username`);
    }
  });
});

describe('real rows change after they are written (DESIGN §1; what issue 11 must handle)', () => {
  const rowOf = async (id: number): Promise<Row | undefined> => (await allm.page(0)).chats.find((row) => row['id'] === id);
  let agentChat: number | undefined;

  it('an agent chat is served pre-registered (hidden, "{}"), then completed in place: included, the reply filled, lastUpdatedAt bumped', async () => {
    const { id } = await allm.agentStart({ user: 'alice', prompt: '@agent plan the week' });
    agentChat = id;
    const pending = await rowOf(id);
    assert.ok(pending !== undefined, 'the pre-registered chat is on page 0');
    assert.deepEqual(
      { include: pending['include'], response: pending['response'], thread_id: pending['thread_id'], user: pending['user'], updatedIsCreated: pending['lastUpdatedAt'] === pending['createdAt'] },
      { include: false, response: '{}', thread_id: null, user: { username: 'alice' }, updatedIsCreated: true },
    );
    await allm.agentFinish(id, 'Monday: plan. Tuesday: do.');
    const done = await rowOf(id);
    assert.ok(done !== undefined);
    assert.equal(done['include'], true);
    assert.equal(JSON.parse(done['response'])['text'], 'Monday: plan. Tuesday: do.');
    assert.equal(done['createdAt'], pending['createdAt'], 'same row, same createdAt');
    assert.ok(Date.parse(done['lastUpdatedAt']) > Date.parse(pending['lastUpdatedAt']), 'lastUpdatedAt bumped');
  });

  it('an edit rewrites the prompt or the reply without touching lastUpdatedAt; a reset hides without touching it; a delete removes the row', async () => {
    const id = agentChat;
    assert.ok(id !== undefined, 'the agent chat of the test before');
    const before = (await rowOf(id))!;
    await allm.edit(id, 'user', 'an edited question');
    await allm.edit(id, 'assistant', 'an edited reply');
    const edited = (await rowOf(id))!;
    assert.equal(edited['prompt'], 'an edited question');
    assert.equal(JSON.parse(edited['response'])['text'], 'an edited reply');
    assert.equal(edited['lastUpdatedAt'], before['lastUpdatedAt'], 'an edit keeps lastUpdatedAt');
    await allm.hide(id);
    const hidden = (await rowOf(id))!;
    assert.deepEqual([hidden['include'], hidden['lastUpdatedAt']], [false, before['lastUpdatedAt']], 'a reset only sets include: false');
    assert.deepEqual(await allm.delete(id), { deleted: 1, ids: [id] });
    assert.equal(await rowOf(id), undefined, 'a deleted row is gone');
  });
});
