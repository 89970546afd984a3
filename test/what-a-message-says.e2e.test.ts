// DESIGN §3 "What a message says", through the built CLI: a user's files arrive named and sized (never their
// content, which never reaches STATE_DIR either), a reply's documents once each, reasoning removed unless kept.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { startStandIn } from './fixtures/anythingllm-stand-in.ts';
import { makeChat, type RawChat } from './fixtures/raw-chat.ts';
import { startWebhookReceiver } from './fixtures/webhook-receiver.ts';
import { faultCliEnv } from './helpers/cli-env.js';
import { outcome } from './helpers/guarantees.ts';
import { scanForText } from './helpers/raw-scan.ts';
import { runCli } from './helpers/run-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const t1 = Date.parse('2026-11-23T09:00:00Z');
const at = (minutesBefore: number) => new Date(t1 - minutesBefore * 60_000).toISOString();
// File contents whose base64 is one recognisable run (42 bytes, a multiple of 3: every copy encodes the same).
const unit = Buffer.from('ATTACHMENT-CONTENT-THAT-MUST-NOT-BE-KEPT!!');
const contentMarker = new RegExp(unit.toString('base64').slice(0, 40).replace(/[+/]/g, '\\$&'), 'g');
const file = (name: string, mime: string, bytes: number) => ({ name, mime, contentString: `data:${mime};base64,${Buffer.concat(Array.from({ length: Math.ceil(bytes / unit.length) }, () => unit)).subarray(0, bytes).toString('base64')}` });
const response = (text: string, extra: Record<string, unknown> = {}) => JSON.stringify({ text, sources: [], type: 'chat', attachments: [], ...extra });
const chunk = (title: string, url: string, chunkSource: string, n: number) => ({ id: `${title}-${n}`, title, url, chunkSource, docAuthor: 'Finance', published: '11/1/2026', wordCount: 900, text: `chunk ${n} of ${title}: ${'numbers '.repeat(200)}`, score: 0.8 });

const photo = file('IMG_2041.jpg', 'image/jpeg', 2_000_000);
const pdf = file('contract.pdf', 'application/pdf', 345_679);
const voice = file('voice-note.ogg', 'audio/ogg', 48_001);
const closed: RawChat[] = [
  makeChat({ id: 1, thread_id: 5, user_id: 2, createdAt: at(180), prompt: 'What is in this picture?', response: response('A cat on a sofa.', { attachments: [photo] }) }),
  makeChat({ id: 2, thread_id: 5, user_id: 2, createdAt: at(175), prompt: 'Summarise these two.', response: response('The contract renews in May.', { attachments: [pdf, voice] }) }),
  makeChat({
    id: 3, thread_id: 5, user_id: 2, createdAt: at(170), prompt: 'What does Q3 cost?',
    response: response('$40 a seat.', {
      sources: [
        chunk('pricing-q3.xlsx', 'file:///app/server/storage/hotdir/pricing-q3.xlsx', '', 1),
        chunk('pricing-q3.xlsx', 'file:///app/server/storage/hotdir/pricing-q3.xlsx', '', 2),
        chunk('example.com/pricing', 'https://example.com/pricing', 'link://https://example.com/pricing', 3),
        chunk('example.com/pricing', 'https://example.com/pricing', 'link://https://example.com/pricing', 4),
      ],
    }),
  }),
  makeChat({ id: 4, thread_id: 5, user_id: 2, createdAt: at(165), prompt: 'And Q4?', response: response('<think>\nThe user asks about Q4. The sheet has no Q4 row.\n</think>\n\nThere is no Q4 price yet.') }),
  makeChat({ id: 5, thread_id: 5, user_id: 2, createdAt: at(160), prompt: 'Hm.', response: response('<thinking>\nNothing to answer; the model only mused.\n</thinking>\n') }),
];
// Still open at t1 (its turn 10 minutes before): staged in STATE_DIR with its attachment's size.
const open: RawChat[] = [makeChat({ id: 6, thread_id: 9, user_id: 2, createdAt: at(10), prompt: 'And this one?', response: response('A dog.', { attachments: [file('IMG_2042.jpg', 'image/jpeg', 300_000)] }) })];
// A bad row (no workspaceId) with an attachment: quarantined, with its content dropped.
const bad: RawChat[] = [{ ...makeChat({ id: 7, createdAt: at(150), response: response('x', { attachments: [file('scan.png', 'image/png', 90_000)] }) }), workspaceId: 'three' }];

async function night(stateDir: string, extra: Record<string, string> = {}) {
  const standIn = await startStandIn({ chats: [...closed, ...open, ...bad] });
  const receiver = await startWebhookReceiver();
  try {
    const result = await runCli(['--now', new Date(t1).toISOString()], faultCliEnv(standIn, receiver, stateDir, extra));
    assert.equal(result.code, 0, outcome(result));
    return [...receiver.accepted.values()];
  } finally {
    await Promise.all([standIn.close(), receiver.close()]);
  }
}

describe('what a message says', () => {
  it('names a photo, a PDF and a voice note with their mime and size, lists sources once, and leaves reasoning out', async () => {
    const stateDir = await tempDir();
    const bodies = await night(stateDir);
    assert.equal(bodies.length, 1);
    const [body] = bodies;
    assert.equal(body.type, 'conversation');
    assert.deepEqual(body.messages.map((m: { chatId: number; role: string }) => `${m.chatId}${m.role[0]}`), ['1u', '1a', '2u', '2a', '3u', '3a', '4u', '4a', '5u'], 'the reasoning-only reply is left out');
    assert.deepEqual(body.messages[0], { chatId: 1, role: 'user', content: 'What is in this picture?', createdAt: at(180), user: 'user-2', attachments: [{ name: 'IMG_2041.jpg', mime: 'image/jpeg', bytes: 2_000_000 }] });
    assert.deepEqual(body.messages[2].attachments, [{ name: 'contract.pdf', mime: 'application/pdf', bytes: 345_679 }, { name: 'voice-note.ogg', mime: 'audio/ogg', bytes: 48_001 }]);
    assert.deepEqual(body.messages[5], { chatId: 3, role: 'assistant', content: '$40 a seat.', createdAt: at(170), sources: [{ title: 'pricing-q3.xlsx' }, { title: 'example.com/pricing', url: 'https://example.com/pricing' }] });
    assert.equal(body.messages[7].content, 'There is no Q4 price yet.');
    const raw = JSON.stringify(body);
    assert.ok(!/think|chunk 1 of|base64|file:\/\//.test(raw), 'no reasoning, chunk text, content or file path in the body');
  });

  it('STATE_DIR holds none of the attachments’ content, raw or in decompressed LevelDB blocks, while a turn with one is staged', async () => {
    const stateDir = await tempDir();
    await night(stateDir);
    const report = await scanForText(stateDir, contentMarker);
    assert.ok(report.tableBlocks + report.logRecords > 0, 'the scan read the database');
    assert.deepEqual(report.findings, []);
    const status = await runCli(['status', '--json'], { STATE_DIR: stateDir });
    const totals = JSON.parse(status.stdout).counts;
    assert.deepEqual([totals.stagedChats, totals.quarantined], [1, 1], 'the open turn is staged and the bad row quarantined: both were scanned');
  });

  it('a sent chat re-read the next night, with reasoning now kept, is not taken for changed: the digest reads the stored text', async () => {
    const stateDir = await tempDir();
    await night(stateDir);
    const standIn = await startStandIn({ chats: [...closed, ...open, ...bad] });
    const receiver = await startWebhookReceiver();
    try {
      const result = await runCli(['--now', new Date(t1 + 3_600_000).toISOString(), '--keep-reasoning'], faultCliEnv(standIn, receiver, stateDir));
      assert.equal(result.code, 0, outcome(result));
      const summary = JSON.parse(result.stdout.split('\n').find((line) => line.includes('"summary"')) ?? '{}').summary;
      assert.deepEqual([summary.chats.read, summary.chats.changedAfterSend, summary.chats.hiddenAfterSend, summary.chats.deletedAfterSend], [7, 0, 0, 0], 'every chat re-read; none of the five sent ones taken for changed');
      assert.deepEqual([...receiver.accepted.values()].map((body) => body.messages.map((m: { chatId: number }) => m.chatId)), [[6, 6]], 'only the open one is sent');
    } finally {
      await Promise.all([standIn.close(), receiver.close()]);
    }
  });

  it('keeps reasoning with --keep-reasoning (and KEEP_REASONING=true), the reasoning-only reply then a message of its own', async () => {
    for (const [args, env] of [[['--keep-reasoning'], {}], [[], { KEEP_REASONING: 'true' }]] as const) {
      const stateDir = await tempDir();
      const standIn = await startStandIn({ chats: [...closed, ...open, ...bad] });
      const receiver = await startWebhookReceiver();
      try {
        const result = await runCli(['--now', new Date(t1).toISOString(), ...args], faultCliEnv(standIn, receiver, stateDir, env));
        assert.equal(result.code, 0, outcome(result));
        const [body] = [...receiver.accepted.values()];
        assert.equal(body.messages[7].content, '<think>\nThe user asks about Q4. The sheet has no Q4 row.\n</think>\n\nThere is no Q4 price yet.');
        assert.equal(body.messages[9].content, '<thinking>\nNothing to answer; the model only mused.\n</thinking>\n');
      } finally {
        await Promise.all([standIn.close(), receiver.close()]);
      }
    }
  });
});
