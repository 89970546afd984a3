// The floor: the least work any correct night must do, as a yardstick for the job. It pages sequentially through
// the same API (fetch, keep-alive), dedupes by id, skips hidden chats, groups by chat history (DESIGN §2: a thread,
// or one user's or one API session's default thread) and splits by the rolling gap in memory, then POSTs every
// closed conversation (same body shape, same ids) in the order DESIGN §3 asks: oldest first by start time then id,
// one conversation in flight per history (its next one only after the previous one's answer), with the same
// concurrency spread over histories. No state, no logging, and no retries unless REFERENCE_RETRY=1: then it is the
// reference client of the quarter-failing receiver night, retrying each POST until it succeeds — a 429 after exactly
// its Retry-After, a 503 (or anything else) after 20 ms doubling to 1 s — run with CONCURRENCY=1 (sequential). Run as
// a child process: BASE_URL, API_KEY, WEBHOOK_URL, CONCURRENCY, CONVERSATION_HOUR_WINDOW as for the job; prints one
// JSON line {pages, chats, conversations, failed, pagedSeconds, doneSeconds}.
import { createHash } from 'node:crypto';

interface Turn {
  readonly id: number;
  readonly workspace: { readonly id: number; readonly name: string; readonly slug: string };
  readonly threadId: number | null;
  readonly userId: number | null;
  readonly apiSessionId: string | null;
  readonly createdAt: number;
  readonly user: string | null;
  readonly prompt: string;
  readonly reply: string;
}

/** A closed conversation waiting for its POST: its turns, its id and its history. */
interface Planned {
  readonly turns: readonly Turn[];
  readonly id: string;
  readonly startedAt: number;
}

/** A binary min-heap: the histories ready to send, by their next conversation. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(item: T): void {
    const items = this.items;
    let i = items.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.before(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < items.length && this.before(items[left]!, items[least]!) < 0) least = left;
        if (right < items.length && this.before(items[right]!, items[least]!) < 0) least = right;
        if (least === i) break;
        [items[i], items[least]] = [items[least]!, items[i]!];
        i = least;
      }
    }
    return top;
  }
}

const env = process.env;
const endpoint = `${env['BASE_URL']}/api/v1/admin/workspace-chats`;
const apiHeaders = { authorization: `Bearer ${env['API_KEY']}`, 'content-type': 'application/json' };
const webhookUrl = String(env['WEBHOOK_URL']);
const concurrency = Number(env['CONCURRENCY'] ?? 4);
const gapMs = Number(env['CONVERSATION_HOUR_WINDOW'] ?? 1) * 3_600_000;
const nowMs = Date.now();
const retrying = env['REFERENCE_RETRY'] === '1';
const started = performance.now();

const histories = new Map<string, Turn[]>();
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
    // DESIGN §2: a thread is one history; the default thread is one per (user, API session).
    const userId: number | null = chat['user_id'] ?? null;
    const apiSessionId: string | null = chat['api_session_id'] ?? null;
    const key = threadId !== null ? `${chat['workspaceId']}/${threadId}` : `${chat['workspaceId']}/-/${userId ?? '-'}/${apiSessionId ?? '-'}`;
    let turns = histories.get(key);
    if (turns === undefined) histories.set(key, (turns = []));
    const username = chat['user']?.['username'];
    turns.push({
      id: chat['id'],
      workspace: { id: chat['workspaceId'], name: chat['workspace']?.['name'], slug: chat['workspace']?.['slug'] },
      threadId,
      userId,
      apiSessionId,
      createdAt: Date.parse(chat['createdAt']),
      user: typeof username === 'string' && username !== '' ? username : null,
      prompt: chat['prompt'],
      reply: replyText(chat['response'] ?? ''),
    });
  }
  if (!page.hasPages) break;
}

const pagedSeconds = (performance.now() - started) / 1000;
// Each history's closed conversations, oldest first; a history's conversations are already in time order.
const queues: Planned[][] = [];
let closedCount = 0;
for (const turns of histories.values()) {
  turns.sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  const queue: Planned[] = [];
  let current: Turn[] = [];
  const close = () => {
    if (current.length > 0 && nowMs - current.at(-1)!.createdAt > gapMs) queue.push({ turns: current, id: idOf(current), startedAt: current[0]!.createdAt });
  };
  for (const turn of turns) {
    const previous = current.at(-1);
    if (previous !== undefined && turn.createdAt - previous.createdAt > gapMs) (close(), (current = []));
    current.push(turn);
  }
  close();
  // Equal start times within one history are ordered by id, as the night's plan orders them.
  queue.sort(earlier);
  closedCount += queue.length;
  if (queue.length > 0) queues.push(queue);
}

// DESIGN §3 "Order": among the histories with nothing in flight, the one whose next conversation is the oldest goes
// first; a history's next conversation is ready only once the one before it has its answer.
let failed = 0;
const ready = new MinHeap<Planned[]>((a, b) => earlier(a[0]!, b[0]!));
for (const queue of queues) ready.push(queue);
await new Promise<void>((resolve, reject) => {
  let inFlight = 0;
  const pump = () => {
    while (inFlight < concurrency && ready.size > 0) {
      const queue = ready.pop()!;
      const body = toBody(queue.shift()!);
      inFlight++;
      postBody(body)
        .then(async (response) => {
          if (!response.ok) failed++;
          inFlight--;
          if (queue.length > 0) ready.push(queue);
          pump();
        })
        .catch(reject);
    }
    if (inFlight === 0 && ready.size === 0) resolve();
  };
  pump();
});
process.stdout.write(`${JSON.stringify({ pages, chats, conversations: closedCount, failed, pagedSeconds, doneSeconds: (performance.now() - started) / 1000 })}\n`);

// One POST, or with REFERENCE_RETRY=1 as many as it takes: Retry-After exactly, else 20 ms doubling to 1 s.
async function postBody(body: ReturnType<typeof toBody>): Promise<Response> {
  const text = JSON.stringify(body);
  let backoffMs = 20;
  for (;;) {
    const response = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': body.id, 'webhook-id': body.id }, body: text });
    await response.arrayBuffer();
    if (response.ok || !retrying) return response;
    const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
    const waitMs = Number.isFinite(retryAfter) ? retryAfter * 1_000 : backoffMs;
    if (!Number.isFinite(retryAfter)) backoffMs = Math.min(backoffMs * 2, 1_000);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

function earlier(a: Planned, b: Planned): number {
  return a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function idOf(turns: readonly Turn[]): string {
  const ids = turns.map((turn) => turn.id).sort((a, b) => a - b);
  const digest = createHash('sha256').update(`${turns[0]!.workspace.id}/${turns[0]!.threadId ?? '-'}/${ids.join(',')}`).digest('base64url');
  return `conv_${digest.slice(0, 32)}`;
}

function toBody({ turns, id }: Planned) {
  const first = turns[0]!;
  const last = turns.at(-1)!;
  return {
    id,
    workspace: last.workspace,
    threadId: first.threadId,
    user: last.userId === null ? null : { id: last.userId, username: last.user },
    apiSessionId: last.apiSessionId,
    startedAt: new Date(first.createdAt).toISOString(),
    endedAt: new Date(last.createdAt).toISOString(),
    continues: null,
    messages: turns.flatMap((turn) => {
      const createdAt = new Date(turn.createdAt).toISOString();
      const asked = { chatId: turn.id, role: 'user', content: turn.prompt, createdAt, ...(turn.userId === null || turn.user === null ? {} : { user: turn.user }) };
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
