// `npm run demo`: runs the built CLI once against a stand-in AnythingLLM (about 300 generated
// chats over the last 3 days, a few hidden, a few malformed) and a signing webhook receiver,
// then prints what arrived. Exits non-zero if the CLI failed or nothing arrived.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../fixtures/anythingllm-stand-in.ts';
import { classifyGenerated, generateChats } from '../fixtures/chat-generator.ts';
import { referenceConversations } from '../fixtures/reference-conversations.ts';
import { startWebhookReceiver } from '../fixtures/webhook-receiver.ts';

const HOUR = 3_600_000;
const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'cli.js');

/** Runs the demo and returns the process exit code. */
async function main(): Promise<number> {
  if (!existsSync(cli)) {
    console.error('demo: dist/cli.js not found; build first (npm run build, or npm run demo which does both).');
    return 1;
  }
  const now = Date.now();
  // Mostly finished conversations, plus a few from the last 40 minutes that are still open.
  const chats = [
    ...generateChats({ count: 290, seed: 2026, start: new Date(now - 72 * HOUR), end: new Date(now - 2 * HOUR), hiddenRate: 0.03, badRate: 0.02 }),
    ...generateChats({ count: 10, seed: 7, start: new Date(now - 40 * 60_000), end: new Date(now - 5 * 60_000), workspaces: 2, firstId: 291 }),
  ];
  const secret = 'whsec_' + randomBytes(24).toString('base64');
  const standIn = await startStandIn({ chats });
  const receiver = await startWebhookReceiver({ secret });
  const stateDir = await mkdtemp(join(tmpdir(), 'memory-cron-demo-'));
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BASE_URL: standIn.url,
      API_KEY: standIn.apiKey,
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: secret,
      STATE_DIR: stateDir,
      CONVERSATION_HOUR_WINDOW: '1',
    };
    delete env['CREDENTIALS_DIRECTORY']; // would take precedence over API_KEY
    delete env['LOG_DIR'];
    console.log(`demo: ${chats.length} chats at ${standIn.url}, webhook ${receiver.url}; running node dist/cli.js run\n`);
    const startedAt = Date.now();
    const child = spawn(process.execPath, [cli, 'run'], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
    const stop = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', stop).on('SIGTERM', stop);
    const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1))));
    process.off('SIGINT', stop).off('SIGTERM', stop);
    report(chats, receiver.deliveries, receiver.accepted, code, startedAt);
    return code !== 0 ? code : receiver.accepted.size === 0 ? 1 : 0;
  } finally {
    await Promise.all([standIn.close(), receiver.close()]);
    await rm(stateDir, { recursive: true, force: true });
  }
}

type Attachment = { name: string; mime: string; bytes: number };
type Message = { chatId: number; role: string; content: string; attachments?: Attachment[]; sources?: { title: string; url?: string }[] };
type Conversation = { id: string; workspace?: { id: number; name: string }; threadId: number | null; user?: { id: number; username: string | null } | null; apiSessionId?: string | null; startedAt: string; endedAt: string; continues: string | null; messages: Message[] };

/** Prints a short readable account of what the webhook received. */
function report(
  chats: Record<string, unknown>[],
  deliveries: { signatureValid: boolean | null }[],
  accepted: Map<string, any>,
  code: number,
  startedAt: number,
): void {
  const conversations = [...accepted.values()] as Conversation[];
  const count = (kind: string) => chats.filter((c) => classifyGenerated(c) === kind).length;
  const valid = deliveries.filter((d) => d.signatureValid === true).length;
  const expected = referenceConversations(chats, { gapMs: HOUR, nowMs: startedAt }).filter((c) => c.closed);
  const key = (ids: number[]) => [...new Set(ids)].sort((a, b) => a - b).join(',');
  const got = new Set(conversations.map((c) => key((c.messages ?? []).map((m) => m.chatId))));
  const matching = expected.filter((e) => got.has(key(e.chatIds))).length;

  const line = '─'.repeat(72);
  console.log(`\n${line}\nmemory-cron demo report\n${line}`);
  console.log(`source           ${chats.length} chats (${count('hidden')} hidden, ${count('bad')} malformed) over the last 3 days`);
  console.log(`CLI exit code    ${code}`);
  console.log(`webhook          ${deliveries.length} deliveries, ${conversations.length} conversations accepted`);
  console.log(`signatures       ${valid === deliveries.length && deliveries.length > 0 ? 'valid: yes' : 'valid: NO'} (${valid}/${deliveries.length})`);
  console.log(`oracle (gap 1h)  ${expected.length} closed conversations expected, ${matching} received exactly`);

  const perHistory = new Map<string, number>();
  for (const c of conversations) {
    const who = c.threadId !== null ? `thread ${c.threadId}` : c.user ? `default · ${c.user.username}` : c.apiSessionId ? `default · API ${c.apiSessionId}` : 'default · no user';
    const where = `${c.workspace?.name ?? '?'} (workspace ${c.workspace?.id ?? '?'}) · ${who}`;
    perHistory.set(where, (perHistory.get(where) ?? 0) + 1);
  }
  console.log('\nper chat history');
  for (const [where, n] of [...perHistory].sort()) console.log(`  ${where.padEnd(60)} ${String(n).padStart(4)}`);

  messagesReport(conversations);

  console.log('\nexamples');
  const byStart = [...conversations].sort((a, b) => String(a.startedAt).localeCompare(String(b.startedAt)));
  const step = Math.max(1, Math.floor(byStart.length / 5));
  for (const c of byStart.filter((_, i) => i % step === 0).slice(0, 5)) {
    const thread = c.threadId === null ? `default${c.user ? ` · ${c.user.username}` : ''}` : `thread ${c.threadId}`;
    const n = c.messages?.length ?? 0;
    const continues = c.continues ? `, continues ${String(c.continues).slice(0, 16)}` : '';
    console.log(`  ${String(c.id).slice(0, 16).padEnd(16)}  ${(c.workspace?.name ?? '?').padEnd(24)} ${thread.padEnd(10)} ${c.startedAt} – ${c.endedAt}  ${n} message${n === 1 ? '' : 's'}${continues}`);
  }
  console.log(line);
}

// What the messages carry besides words (DESIGN §3 "What a message says"): files named and sized, sources once
// each, reasoning left out.
function messagesReport(conversations: Conversation[]): void {
  const messages = conversations.flatMap((c) => c.messages ?? []);
  const files = messages.flatMap((m) => m.attachments ?? []);
  const byMime = new Map<string, number>();
  for (const file of files) byMime.set(file.mime, (byMime.get(file.mime) ?? 0) + 1);
  const withSources = messages.filter((m) => m.sources !== undefined);
  const asked = new Set(messages.filter((m) => m.role === 'user').map((m) => m.chatId));
  const answered = new Set(messages.filter((m) => m.role === 'assistant').map((m) => m.chatId));
  console.log('\nwhat the messages carry');
  console.log(`  attachments    ${files.length} (${[...byMime].map(([mime, n]) => `${n} ${mime}`).join(', ')}), e.g. ${JSON.stringify(files[0] ?? null)}`);
  console.log(`  sources        on ${withSources.length} replies, e.g. ${JSON.stringify(withSources.find((m) => m.sources!.some((s) => s.url !== undefined))?.sources ?? null)}`);
  console.log(`  reasoning      ${messages.filter((m) => /<think/i.test(m.content)).length} replies still holding <think> (KEEP_REASONING keeps them); ${[...asked].filter((id) => !answered.has(id)).length} chats without a reply (empty or only reasoning)`);
}

process.exitCode = await main().catch((error: unknown) => {
  console.error('demo failed:', error);
  return 1;
});
