import assert from 'node:assert/strict';
import { startStandIn, type StandIn } from '../fixtures/anythingllm-stand-in.ts';
import { makeChat, type ChatRecord } from '../fixtures/raw-chat.ts';
import { startWebhookReceiver, type Delivery, type Receiver, type ReceiverOptions } from '../fixtures/webhook-receiver.ts';
import { chatIdsOf, cliEnv, secret } from './cli-env.js';
import { runCli, type CliResult } from './run-cli.js';
import { tempDir } from './temp-dir.js';

// The nights of the retraction suites (DESIGN §3b): conversation 401–405 of thread 4 (user 7) is sent on night 1,
// then one of its chats is edited, one hidden, one deleted.

export const minute = 60_000;
export const hour = 60 * minute;
export const night1 = Date.parse('2026-11-10T09:00:00Z'); // 03:00 in Chicago
export const iso = (ms: number) => new Date(ms).toISOString();

/** The retraction bodies among some deliveries. */
export const retractionsIn = (deliveries: readonly Delivery[]) => deliveries.filter((d) => d.body?.type === 'retraction');

/** Ninety-nine chats of thread 1 three days before night 1 (paging has an end), then 401–405 of thread 4, closed by night 1. */
export function retractionChats(): ChatRecord[] {
  return [
    ...Array.from({ length: 99 }, (_, i) => makeChat({ id: i + 1, thread_id: 1, createdAt: iso(night1 - 72 * hour + i * minute) })),
    ...[401, 402, 403, 404, 405].map((id, i) => makeChat({ id, thread_id: 4, user_id: 7, createdAt: iso(night1 - (90 - i * 5) * minute) })),
  ];
}

/** Runs a night of the built CLI at `nowMs`; asserts it exits 0. */
export async function nightAt(env: Record<string, string>, nowMs: number): Promise<CliResult> {
  const result = await runCli(['run', '--now', iso(nowMs)], env);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return result;
}

/** What a suite runs night 2 against. */
export interface ChangedAfterNightOne {
  readonly standIn: StandIn;
  readonly receiver: Receiver;
  readonly stateDir: string;
  /** Signed; RETRACT_WEBHOOK_URL set to the receiver when asked. */
  readonly env: Record<string, string>;
  /** The id of the conversation sent on night 1, and the reply chat 402 had then. */
  readonly conversation: string;
  readonly sentReply: string;
  close(): Promise<void>;
}

/** Night 1 sends 401–405; then 402 is edited, 403 hidden and 404 deleted; the receiver is cleared. */
export async function changedAfterNightOne(retract: boolean, receiverOptions: ReceiverOptions = {}): Promise<ChangedAfterNightOne> {
  const standIn = await startStandIn({ chats: retractionChats() });
  const receiver = await startWebhookReceiver({ secret, ...receiverOptions });
  const stateDir = await tempDir();
  const env = cliEnv(standIn, receiver, stateDir, { WEBHOOK_SECRET: secret, ...(retract ? { RETRACT_WEBHOOK_URL: receiver.url } : {}) });
  await nightAt(env, night1);
  const first = receiver.deliveries.find((d) => d.status === 200 && chatIdsOf(d.body).includes(401));
  assert.ok(first !== undefined, 'night 1 sends the conversation of 401–405');
  assert.deepEqual(chatIdsOf(first.body), [401, 402, 403, 404, 405]);
  const sentReply = first.body.messages.find((m: { chatId: number; role: string }) => m.chatId === 402 && m.role === 'assistant').content as string;
  receiver.clear();
  standIn.update(402, { prompt: 'question 402, said better' });
  standIn.update(403, { include: false });
  standIn.remove(404);
  return { standIn, receiver, stateDir, env, conversation: first.body.id as string, sentReply, close: async () => void (await Promise.all([standIn.close(), receiver.close()])) };
}
