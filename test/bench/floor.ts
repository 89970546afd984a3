// The floor: the least work any correct night must do, as a yardstick for the job. It pages sequentially through
// the same API (fetch, keep-alive), dedupes by id, skips hidden chats, groups by thread and splits by the rolling
// gap in memory, then POSTs every closed conversation (same body shape, same ids) with the same concurrency.
// No state, no retries, no logging. Run as a child process: BASE_URL, API_KEY, WEBHOOK_URL, CONCURRENCY,
// CONVERSATION_HOUR_WINDOW as for the job; prints one JSON line {pages, chats, conversations, failed, pagedSeconds, doneSeconds}.
import { createHash } from 'node:crypto';

interface Turn {
  readonly id: number;
  readonly workspace: { readonly id: number; readonly name: string; readonly slug: string };
  readonly threadId: number | null;
  readonly createdAt: number;
  readonly user: string | null;
  readonly prompt: string;
  readonly reply: string;
}

const env = process.env;
const endpoint = `${env['BASE_URL']}/api/v1/admin/workspace-chats`;
const apiHeaders = { authorization: `Bearer ${env['API_KEY']}`, 'content-type': 'application/json' };
const webhookUrl = String(env['WEBHOOK_URL']);
const concurrency = Number(env['CONCURRENCY'] ?? 4);
const gapMs = Number(env['CONVERSATION_HOUR_WINDOW'] ?? 1) * 3_600_000;
const nowMs = Date.now();
const started = performance.now();

const threads = new Map<string, Turn[]>();
const seen = new Set<number>();
let pages = 0;
let chats = 0;
for (let offset = 0; ; offset++) {
  const response = await fetch(endpoint, { method: 'POST', headers: apiHeaders, body: JSON.stringify({ offset }) });
  if (!response.ok) throw new Error(`page ${offset}: HTTP ${response.status}`);
  const page = (await response.json()) as { chats: Record<string, any>[]; hasPages: boolean };
  pages++;
  for (const chat of page.chats) {
    chats++;
    if (seen.has(chat['id']) || chat['include'] === false) continue;
    seen.add(chat['id']);
    const threadId: number | null = chat['thread_id'] ?? null;
    const key = `${chat['workspaceId']}/${threadId ?? '-'}`;
    let turns = threads.get(key);
    if (turns === undefined) threads.set(key, (turns = []));
    turns.push({
      id: chat['id'],
      workspace: { id: chat['workspaceId'], name: chat['workspace']?.['name'], slug: chat['workspace']?.['slug'] },
      threadId,
      createdAt: Date.parse(chat['createdAt']),
      user: chat['user']?.['username'] ?? null,
      prompt: chat['prompt'],
      reply: replyText(chat['response'] ?? ''),
    });
  }
  if (!page.hasPages) break;
}

const pagedSeconds = (performance.now() - started) / 1000;
const conversations: Turn[][] = [];
for (const turns of threads.values()) {
  turns.sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  let current: Turn[] = [];
  for (const turn of turns) {
    const previous = current.at(-1);
    if (previous !== undefined && turn.createdAt - previous.createdAt > gapMs) (conversations.push(current), (current = []));
    current.push(turn);
  }
  if (current.length > 0) conversations.push(current);
}

let failed = 0;
let next = 0;
const closed = conversations.filter((turns) => nowMs - turns.at(-1)!.createdAt > gapMs);
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < closed.length) {
      const body = toBody(closed[next++]!);
      const response = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': body.id, 'webhook-id': body.id }, body: JSON.stringify(body) });
      await response.arrayBuffer();
      if (!response.ok) failed++;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ pages, chats, conversations: closed.length, failed, pagedSeconds, doneSeconds: (performance.now() - started) / 1000 })}\n`);

function toBody(turns: Turn[]) {
  const first = turns[0]!;
  const last = turns.at(-1)!;
  const ids = turns.map((turn) => turn.id).sort((a, b) => a - b);
  const digest = createHash('sha256').update(`${first.workspace.id}/${first.threadId ?? '-'}/${ids.join(',')}`).digest('base64url');
  return {
    id: `conv_${digest.slice(0, 32)}`,
    workspace: last.workspace,
    threadId: first.threadId,
    startedAt: new Date(first.createdAt).toISOString(),
    endedAt: new Date(last.createdAt).toISOString(),
    continues: null,
    messages: turns.flatMap((turn) => {
      const createdAt = new Date(turn.createdAt).toISOString();
      const asked = { chatId: turn.id, role: 'user', content: turn.prompt, createdAt, ...(turn.user === null ? {} : { user: turn.user }) };
      return turn.reply === '' ? [asked] : [asked, { chatId: turn.id, role: 'assistant', content: turn.reply, createdAt }];
    }),
  };
}

function replyText(response: string): string {
  try {
    const parsed: unknown = JSON.parse(response);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return response;
    const text = (parsed as { text?: unknown }).text;
    return typeof text === 'string' ? text : '';
  } catch {
    return response;
  }
}
