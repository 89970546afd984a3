// A memory webhook receiver for memory-cron, with no dependencies (Node 20+): it verifies the Standard Webhooks
// signature, drops a conversation it already has (deduplicating on webhook-id), stores each new one as a file in
// INBOX_DIR and answers 202 at once; the slow work (an LLM extracting facts) reads the inbox later.
//
//   WEBHOOK_SECRET=whsec_… PORT=8080 INBOX_DIR=./inbox node examples/receiver.mjs
//
// One JSON line per event on stdout: listening, accepted, duplicate, refused. See docs/receiver.md.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const secret = process.env.WEBHOOK_SECRET ?? '';
const inbox = process.env.INBOX_DIR ?? 'inbox';
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const toleranceSeconds = 5 * 60; // the Standard Webhooks default: a replayed old request is refused
const maxBodyBytes = 64 * 1024 * 1024;

mkdirSync(inbox, { recursive: true, mode: 0o700 });
// The ids already stored survive a restart: the inbox's file names are the deduplication record.
const seen = new Set(readdirSync(inbox).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -5)));

function say(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

// A whsec_ secret is base64 after its prefix; any other secret is used as its UTF-8 bytes (as memory-cron signs).
function signingKey(text) {
  return text.startsWith('whsec_') ? Buffer.from(text.slice(6), 'base64') : Buffer.from(text, 'utf8');
}

// Standard Webhooks: v1 = base64 HMAC-SHA256 of "id.timestamp.body"; the header may list several, space-separated.
function verify(headers, body) {
  if (secret === '') return undefined; // unsigned deliveries (WEBHOOK_SECRET unset on both sides)
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return 'missing webhook-id, webhook-timestamp or webhook-signature';
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceSeconds) return 'timestamp too old or too new';
  const expected = createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.`).update(body).digest();
  const match = signatures.split(' ').some((entry) => {
    const [version, value = ''] = entry.split(',');
    const given = Buffer.from(value, 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
  return match ? undefined : 'no valid v1 signature';
}

// A webhook-id becomes a file name: keep it to safe characters (memory-cron's are conv_… and conv_….replay-…).
function fileName(id) {
  return /^[A-Za-z0-9_.-]{1,200}$/.test(id) && !id.startsWith('.') ? `${id}.json` : undefined;
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end(); // memory-cron check sends a HEAD: any answer is fine
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > maxBodyBytes) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const refused = verify(req.headers, body);
    if (refused !== undefined) {
      say({ event: 'refused', reason: refused });
      return void res.writeHead(401).end(refused);
    }
    const id = req.headers['webhook-id'] ?? '';
    const file = fileName(id);
    if (file === undefined) return void res.writeHead(400).end('bad webhook-id');
    if (seen.has(id)) {
      say({ event: 'duplicate', id }); // a resend after a timeout or a crash: already stored, acknowledge again
      return void res.writeHead(202).end();
    }
    const conversation = JSON.parse(body.toString('utf8'));
    const temporary = join(inbox, `.${file}.tmp`);
    writeFileSync(temporary, body, { mode: 0o600 });
    renameSync(temporary, join(inbox, file)); // stored whole or not at all, before the 202
    seen.add(id);
    say({ event: 'accepted', id, messages: conversation.messages.length, continues: conversation.continues });
    res.writeHead(202).end();
  });
});

server.listen(port, host, () => {
  const { port: bound } = server.address();
  say({ event: 'listening', url: `http://${host}:${bound}/hook`, signed: secret !== '' });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close());
