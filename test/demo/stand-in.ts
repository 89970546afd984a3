// `npm run stand-in`: an AnythingLLM stand-in with generated chats and a webhook receiver on 127.0.0.1, left
// running so an operator can try `check`, `run` and `status` by hand (README "Trying it against the stand-in").
//   npm run stand-in -- [--chats 300] [--port 3001] [--webhook-port 0]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startStandIn } from '../fixtures/anythingllm-stand-in.ts';
import { generateChats } from '../fixtures/chat-generator.ts';
import { startWebhookReceiver } from '../fixtures/webhook-receiver.ts';

const HOUR = 3_600_000;

/** Starts both servers, prints how to point the CLI at them, and serves until SIGINT or SIGTERM. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { chats: { type: 'string', default: '300' }, port: { type: 'string', default: '0' }, 'webhook-port': { type: 'string', default: '0' } } });
  const count = Number(values.chats);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--chats ${values.chats} must be a whole number above 0`);
  const now = Date.now();
  const chats = generateChats({ count, seed: 2026, start: new Date(now - 72 * HOUR), end: new Date(now - 5 * 60_000), hiddenRate: 0.03, badRate: 0.01 });
  const apiKey = `stand-in-${randomBytes(9).toString('base64url')}`;
  const standIn = await startStandIn({ chats, apiKey, port: Number(values.port) });
  const receiver = await startWebhookReceiver({ port: Number(values['webhook-port']), respond: (delivery) => (console.log(`webhook: ${delivery.body?.id ?? '?'} (${delivery.body?.messages?.length ?? 0} messages, workspace ${delivery.body?.workspace?.slug ?? '?'}, thread ${delivery.body?.threadId ?? 'default'})`), { status: 200 }) });
  console.log(`AnythingLLM stand-in: ${standIn.url}  (${chats.length} chats of the last 3 days, newest first, 20 a page)`);
  console.log(`API key:              ${apiKey}`);
  console.log(`webhook receiver:     ${receiver.url}  (answers 200, prints one line per conversation)`);
  console.log('\nIn another terminal, in this checkout (npm run build first):\n');
  console.log(`  export BASE_URL=${standIn.url} API_KEY=${apiKey} WEBHOOK_URL=${receiver.url} STATE_DIR=$(mktemp -d)`);
  console.log('  node dist/cli.js check     # settings, page 0, the webhook answers: nothing sent');
  console.log('  node dist/cli.js run       # a night: conversations arrive here');
  console.log('  node dist/cli.js status    # cursor, last run, open conversations\n');
  console.log('Ctrl-C stops both servers.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await Promise.all([standIn.close(), receiver.close()]);
}

main().catch((error: unknown) => {
  console.error(`stand-in: ${(error as Error)?.message ?? String(error)}`);
  process.exitCode = 1;
});
