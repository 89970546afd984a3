// The bench's servers, in a process of their own so they do not share the driver's event loop: the AnythingLLM
// stand-in (test/fixtures) and a lean webhook receiver. The driver steers them over IPC (see ServerRequest).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStandIn, type StandInOptions } from '../fixtures/anythingllm-stand-in.ts';
import { generateChats } from '../fixtures/chat-generator.ts';

/** What the driver asks for; each request is answered with one ServerReply. */
export type ServerRequest =
  | { readonly id: number; readonly type: 'load'; readonly count: number; readonly seed: number; readonly startMs: number; readonly endMs: number; readonly firstId: number; readonly append: boolean; readonly attachmentMb?: number }
  | { readonly id: number; readonly type: 'latency'; readonly ms: number }
  | { readonly id: number; readonly type: 'webhook-latency'; readonly ms: number }
  | { readonly id: number; readonly type: 'tally' };

/** What the receiver saw since the last tally: POSTs, distinct Idempotency-Keys, and an order-free digest of them. */
export interface Tally {
  readonly posts: number;
  readonly failed: number;
  readonly conversations: number;
  readonly bytes: number;
  /** XOR of the first 8 bytes of sha256(key) over distinct keys, as hex: the same set of conversations, the same digest. */
  readonly digest: string;
}

/** The answer to a request, or the first message (`ready`). */
export type ServerReply =
  | { readonly type: 'ready'; readonly apiUrl: string; readonly apiKey: string; readonly webhookUrl: string }
  | { readonly type: 'loaded'; readonly id: number; readonly chats: number; readonly newestId: number }
  | { readonly type: 'ok'; readonly id: number }
  | { readonly type: 'tally'; readonly id: number; readonly tally: Tally };

// Mutated by 'latency': the stand-in reads `pageLatencyMs` on every request.
const standInOptions: StandInOptions = { chats: [] };
const standIn = await startStandIn(standInOptions);
const receiver = await startLeanReceiver();

process.on('message', (request: ServerRequest) => {
  const reply = (message: ServerReply) => process.send?.(message);
  if (request.type === 'load') {
    const generated = generateChats({ count: request.count, seed: request.seed, start: new Date(request.startMs), end: new Date(request.endMs), firstId: request.firstId });
    const chats = request.attachmentMb === undefined ? generated : withPhotos(generated, request.attachmentMb);
    if (request.append) for (const chat of chats) standIn.chats.push(chat);
    else standIn.chats = chats;
    standIn.requests.length = 0;
    reply({ type: 'loaded', id: request.id, chats: standIn.chats.length, newestId: request.firstId + request.count - 1 });
  } else if (request.type === 'latency') {
    standInOptions.pageLatencyMs = request.ms;
    reply({ type: 'ok', id: request.id });
  } else if (request.type === 'webhook-latency') {
    receiver.latencyMs = request.ms;
    reply({ type: 'ok', id: request.id });
  } else {
    standIn.requests.length = 0;
    reply({ type: 'tally', id: request.id, tally: receiver.takeTally() });
  }
});
process.on('disconnect', () => void Promise.all([standIn.close(), receiver.close()]).finally(() => process.exit(0)));
process.send?.({ type: 'ready', apiUrl: standIn.url, apiKey: standIn.apiKey, webhookUrl: receiver.url } satisfies ServerReply);

// Every chat with a photo of `mb` MB (decoded) and a reply that drew on a few documents, as AnythingLLM stores them:
// a base64 data URL in response.attachments, each source's chunk text in response.sources.
function withPhotos(chats: Record<string, unknown>[], mb: number) {
  const photo = `data:image/jpeg;base64,${Buffer.alloc(Math.round(mb * 1024 * 1024), 0x5a).toString('base64')}`;
  return chats.map((chat, i) => ({
    ...chat,
    include: true,
    response: JSON.stringify({
      text: `It shows page ${i} of the handbook.`,
      sources: Array.from({ length: 6 }, (_, s) => ({ title: `handbook-${s % 3}.pdf`, url: `file:///storage/handbook-${s % 3}.pdf`, chunkSource: '', text: 'chunk text '.repeat(800) })),
      type: 'chat',
      attachments: [{ name: `IMG_${i}.jpg`, mime: 'image/jpeg', contentString: photo }],
    }),
  }));
}

// A memory webhook that accepts everything and keeps only counts and the set of keys: the fixture receiver keeps
// every body, parsed, which at 400k chats is gigabytes and would compete with the job for the CPU. With `latencyMs`
// set it answers each POST that long after its body arrived: a memory store running an LLM before it answers.
async function startLeanReceiver() {
  let latencyMs = 0;
  let keys = new Set<string>();
  let posts = 0;
  let failed = 0;
  let bytes = 0;
  let digest = 0n;
  const server = createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => (size += chunk.length));
    req.on('end', () => {
      posts++;
      bytes += size;
      const key = req.headers['idempotency-key'];
      if (req.method !== 'POST' || typeof key !== 'string' || req.headers['content-type'] !== 'application/json') {
        failed++;
        res.writeHead(400).end();
        return;
      }
      if (!keys.has(key)) {
        keys.add(key);
        digest ^= createHash('sha256').update(key).digest().readBigUInt64BE(0);
      }
      const answer = () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 }).end('{"ok":true}');
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    get latencyMs() {
      return latencyMs;
    },
    set latencyMs(ms: number) {
      latencyMs = ms;
    },
    takeTally(): Tally {
      const tally: Tally = { posts, failed, conversations: keys.size, bytes, digest: digest.toString(16).padStart(16, '0') };
      keys = new Set();
      posts = failed = bytes = 0;
      digest = 0n;
      return tally;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
