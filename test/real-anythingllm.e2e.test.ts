// One night of the built CLI against the real AnythingLLM server (../shared/anythingllm), seeded through
// its own models in multi-user mode: several people in each workspace's default thread, threads, API
// sessions (with and without a session id), hidden, agent and feedback chats. Every delivered
// conversation is checked against a grouping written here from DESIGN §2 (not the job's code) over
// exactly the rows the API served. Without a buildable server this file fails; it never skips.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRealAnythingLlm, type RealAnythingLlm } from './fixtures/real-anythingllm.ts';
import { startWebhookReceiver, type Receiver } from './fixtures/webhook-receiver.ts';
import { startCli, type CliResult } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const hour = 3_600_000;
/** Bounds: a first build of the server takes minutes (rigTimeouts bound each step); the night far less. */
const setupTimeoutMs = 25 * 60_000;
const nightTimeoutMs = 5 * 60_000;
type Row = Record<string, any>;

/** What a conversation of one chat history must look like on the wire (DESIGN §3), built from served rows. */
interface Expected {
  chatIds: number[];
  body: {
    workspace: { id: number; name: string; slug: string };
    threadId: number | null;
    user: { id: number; username: string } | null;
    apiSessionId: string | null;
    startedAt: string;
    endedAt: string;
    messages: { chatId: number; role: 'user' | 'assistant'; content: string; createdAt: string }[];
  };
}

const idSet = (ids: readonly number[]) => [...new Set(ids)].sort((a, b) => a - b).join(',');
const chatIdsOf = (body: any): number[] => (body?.messages ?? []).map((m: any) => m.chatId as number);

// The assistant's text: a JSON object's `text` (absent: empty), any other JSON or unparsable text as it stands;
// closed <think>/<thinking> blocks removed and the rest trimmed (DESIGN §3: reasoning is not memory).
function replyOf(response: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(response);
  } catch {
    return response;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return response;
  const text = (parsed as Row)['text'];
  if (typeof text !== 'string') return '';
  return /<think/.test(text) ? text.replace(/<(think|thinking)>[\s\S]*?<\/\1>/g, '').trim() : text;
}

// What the server's chat handlers store for a chat with files (utils/chats/stream.js, telegramBot/chat/stream.js):
// each file a base64 data URL; and for a reply that drew on documents, one source per chunk, with its text.
const dataUrl = (mime: string, bytes: number) => `data:${mime};base64,${Buffer.alloc(bytes, 7).toString('base64')}`;
const withFiles = {
  text: 'A sprint plan for week 49, and a reminder about the demo.',
  sources: [],
  type: 'chat',
  attachments: [
    { name: 'whiteboard.jpg', mime: 'image/jpeg', contentString: dataUrl('image/jpeg', 150_001) },
    { name: 'memo.ogg', mime: 'audio/ogg', contentString: dataUrl('audio/ogg', 24_002) },
  ],
  metrics: {},
};
const chunkOf = (title: string, url: string, chunkSource: string, n: number) => ({ id: `${title}#${n}`, url, title, docAuthor: 'Finance', description: 'pricing', docSource: 'a file', chunkSource, published: '11/1/2026, 9:00:00 AM', wordCount: 800, token_count_estimate: 1100, text: `chunk ${n}: ${'CHUNK-TEXT-OF-THE-SHEET '.repeat(100)}`, score: 0.71 });
const withSources = {
  text: '<think>\nThe sheet lists the renewal under enterprise tiers.\n</think>\n\nThe renewal is $12,000 a year.',
  sources: [
    chunkOf('pricing-2027.xlsx', 'file:///app/server/storage/hotdir/pricing-2027.xlsx', '', 1),
    chunkOf('pricing-2027.xlsx', 'file:///app/server/storage/hotdir/pricing-2027.xlsx', '', 2),
    chunkOf('example.com/renewals', 'https://example.com/renewals', 'link://https://example.com/renewals', 3),
  ],
  type: 'query',
  attachments: [],
  metrics: {},
};

// A chat history (DESIGN §2): a thread, or one person's (or one API session's) default thread of a workspace.
function historyOf(row: Row): string {
  return row['thread_id'] !== null
    ? JSON.stringify(['thread', row['workspaceId'], row['thread_id']])
    : JSON.stringify(['default', row['workspaceId'], row['user_id'], row['api_session_id']]);
}

/** The reference: included rows grouped by chat history, sorted by createdAt then id, cut at gaps over `gapMs`. */
function groupByHistory(rows: readonly Row[], gapMs: number, key: (row: Row) => string = historyOf): Expected[] {
  const histories = new Map<string, Row[]>();
  for (const row of rows) {
    if (row['include'] === false) continue;
    const k = key(row);
    histories.set(k, [...(histories.get(k) ?? []), row]);
  }
  const out: Expected[] = [];
  for (const history of histories.values()) {
    history.sort((a, b) => Date.parse(a['createdAt']) - Date.parse(b['createdAt']) || a['id'] - b['id']);
    let turns: Row[] = [];
    const close = () => turns.length > 0 && out.push(expectedOf(turns));
    for (const row of history) {
      const previous = turns.at(-1);
      if (previous !== undefined && Date.parse(row['createdAt']) - Date.parse(previous['createdAt']) > gapMs) {
        close();
        turns = [];
      }
      turns.push(row);
    }
    close();
  }
  return out;
}

function expectedOf(turns: readonly Row[]): Expected {
  const first = turns[0]!;
  const last = turns.at(-1)!;
  return {
    chatIds: turns.map((row) => row['id']),
    body: {
      workspace: { id: first['workspaceId'], name: first['workspace']['name'], slug: first['workspace']['slug'] },
      threadId: first['thread_id'],
      user: first['user_id'] === null ? null : { id: first['user_id'], username: first['user']['username'] },
      apiSessionId: first['api_session_id'],
      startedAt: first['createdAt'],
      endedAt: last['createdAt'],
      messages: turns.flatMap((row) => {
        const asked = { chatId: row['id'], role: 'user' as const, content: row['prompt'], createdAt: row['createdAt'] };
        const reply = replyOf(row['response']);
        return reply === '' ? [asked] : [asked, { chatId: row['id'], role: 'assistant' as const, content: reply, createdAt: row['createdAt'] }];
      }),
    },
  };
}

// The delivered body, cut to what the reference speaks for (unknown fields and message `user` labels left out).
function projection(body: any): Expected['body'] {
  return {
    workspace: body.workspace,
    threadId: body.threadId,
    user: body.user,
    apiSessionId: body.apiSessionId,
    startedAt: body.startedAt,
    endedAt: body.endedAt,
    messages: (body.messages ?? []).map((m: any) => ({ chatId: m.chatId, role: m.role, content: m.content, createdAt: m.createdAt })),
  };
}

describe('one night against the real AnythingLLM server (multi-user, seeded through its own models)', () => {
  let allm: RealAnythingLlm | undefined;
  let receiver: Receiver | undefined;
  let served: Row[];
  let night: CliResult;
  let nowMs: number;
  let delivered: any[];
  let seededFiles: { id: number };
  let seededSources: { id: number };

  before(async () => {
    const seeding = performance.now();
    // Five users and the admin, three workspaces, a thread per user per workspace; 1,500 chats over two days.
    allm = await startRealAnythingLlm({ chats: 1500, users: 5, workspaces: 3, threads: 1, days: 2, seed: 1 });
    // A burst of 300 more (a chat every 20 s, after the newest): many people in each default thread within each hour.
    const newest = Date.parse((await allm.info())['chats']['newestCreatedAt']);
    await allm.add(300, { at: new Date(newest + 5 * 60_000), stepSec: 20, seed: 2 });
    // A chat with a photo and a voice note, and one whose reply drew on documents (and reasoned first).
    seededFiles = await allm.chat('What is on this whiteboard?', withFiles);
    seededSources = await allm.chat('What does the renewal cost?', withSources);
    const seeded = (performance.now() - seeding) / 1000;

    served = await allm.readAll(); // the reference input; also warms the server up
    nowMs = Math.max(...served.map((row) => Date.parse(row['createdAt']))) + 2 * hour;
    receiver = await startWebhookReceiver();
    const env = { BASE_URL: allm.url, API_KEY: allm.apiKey, WEBHOOK_URL: receiver.url, STATE_DIR: await tempDir('memory-cron-real-allm-') };
    let t = performance.now();
    const run = startCli(['run', '--now', new Date(nowMs).toISOString()], env);
    const killer = setTimeout(() => run.child.kill('SIGKILL'), nightTimeoutMs);
    night = await run.done.finally(() => clearTimeout(killer));
    const nightSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const bare = await allm.readAll();
    const bareSeconds = (performance.now() - t) / 1000;
    assert.equal(bare.length, served.length, 'the table did not change between the reads');
    delivered = [...receiver.accepted.values()];
    const { setup, init, start } = allm.seconds;
    console.log(
      `real-anythingllm: night ${nightSeconds.toFixed(2)} s, bare sequential read ${bareSeconds.toFixed(2)} s ` +
        `(${Math.ceil(served.length / 20)} pages, ${served.length} chats); setup ${setup.toFixed(2)} s, init ${init.toFixed(2)} s, start ${start.toFixed(2)} s, seeding in all ${seeded.toFixed(1)} s`,
    );
  }, { timeout: setupTimeoutMs });
  after(async () => {
    await receiver?.close();
    await allm?.stop();
  });

  it('the API served every seeded row once, newest id first, and the mix puts different people in one default thread within an hour', () => {
    const ids = served.map((row) => row['id'] as number);
    assert.equal(ids.length, 1802);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'ids descending');
    assert.equal(new Set(ids).size, ids.length, 'no row twice');
    // Precondition of the grouping checks below: the rows really do interleave histories.
    const mixed = groupByHistory(served, hour, (row) => JSON.stringify([row['workspaceId'], row['thread_id']])).filter(
      (c) => c.body.threadId === null && new Set(c.chatIds.map((id) => historyOf(served.find((row) => row['id'] === id)!))).size > 1,
    );
    assert.ok(mixed.length > 0, 'some hour of a default thread holds chats of two histories');
    const kinds = new Set(served.map((row) => (row['thread_id'] !== null ? 'thread' : row['user_id'] !== null ? 'user' : row['api_session_id'] !== null ? 'api-session' : 'api')));
    assert.deepEqual([...kinds].sort(), ['api', 'api-session', 'thread', 'user']);
    assert.ok(served.some((row) => row['include'] === false), 'hidden rows are served too');
  });

  it('the night exits 0 and delivers every included chat it was served exactly once, and no hidden one', () => {
    assert.equal(night.signal, null, `the night did not finish within ${nightTimeoutMs / 1000} s`);
    assert.equal(night.code, 0, `exit ${night.code}\n${night.stdout.slice(-3000)}${night.stderr.slice(-2000)}`);
    assert.equal(receiver!.deliveries.length, receiver!.accepted.size, 'no conversation POSTed twice');
    const sent = delivered.flatMap((body) => [...new Set(chatIdsOf(body))]);
    assert.equal(new Set(sent).size, sent.length, 'no chat in two conversations');
    const included = served.filter((row) => row['include'] !== false).map((row) => row['id'] as number);
    assert.deepEqual([...sent].sort((a, b) => a - b), [...included].sort((a, b) => a - b), 'exactly the included chats, each once');
  });

  it('each conversation is one chat history: the people of a default thread, and each API session, are kept apart', () => {
    const expected = groupByHistory(served, hour).map((c) => idSet(c.chatIds)).sort();
    const got = delivered.map((body) => idSet(chatIdsOf(body))).sort();
    const byThread = groupByHistory(served, hour, (row) => JSON.stringify([row['workspaceId'], row['thread_id']])).map((c) => idSet(c.chatIds)).sort();
    const why = JSON.stringify(got) === JSON.stringify(byThread) ? ': the night grouped by (workspace, thread), mixing the histories of a default thread' : '';
    assert.deepEqual(got, expected, `${got.length} conversations delivered, ${expected.length} chat-history conversations expected${why}`);
  });

  it("each conversation carries its history's user, apiSessionId, thread, workspace and messages in order", () => {
    const byIds = new Map(delivered.map((body) => [idSet(chatIdsOf(body)), body]));
    const expected = groupByHistory(served, hour).sort((a, b) => Date.parse(a.body.startedAt) - Date.parse(b.body.startedAt));
    const matched = expected.filter((c) => byIds.has(idSet(c.chatIds)));
    assert.ok(matched.length > 0, 'some delivered conversation has the chat ids of a chat history conversation');
    for (const c of matched) assert.deepEqual(projection(byIds.get(idSet(c.chatIds))), c.body, `conversation of chats ${c.chatIds.join(',')}`);
    assert.equal(matched.length, expected.length, 'every chat-history conversation was delivered');
  });

  it("a chat written with files arrives with them named and sized, and a reply's documents once each, without reasoning", () => {
    const messages = delivered.flatMap((body) => body.messages as any[]);
    const of = (id: number) => messages.filter((m) => m.chatId === id);
    assert.deepEqual(of(seededFiles.id).map((m) => [m.role, m.attachments ?? null]), [
      ['user', [{ name: 'whiteboard.jpg', mime: 'image/jpeg', bytes: 150_001 }, { name: 'memo.ogg', mime: 'audio/ogg', bytes: 24_002 }]],
      ['assistant', null],
    ]);
    assert.deepEqual(of(seededSources.id).map((m) => [m.role, m.content, m.sources ?? null]), [
      ['user', 'What does the renewal cost?', null],
      ['assistant', 'The renewal is $12,000 a year.', [{ title: 'pricing-2027.xlsx' }, { title: 'example.com/renewals', url: 'https://example.com/renewals' }]],
    ]);
    const sent = JSON.stringify(delivered);
    for (const leak of [';base64,', 'CHUNK-TEXT-OF-THE-SHEET', 'file://', '<think>']) assert.ok(!sent.includes(leak), `${leak} reached the webhook`);
  });
});
