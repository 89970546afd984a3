import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { StandIn } from '../fixtures/anythingllm-stand-in.ts';
import type { RawChat } from '../fixtures/raw-chat.ts';
import type { Receiver } from '../fixtures/webhook-receiver.ts';

/** The environment of an end-to-end CLI run against a stand-in and a receiver (fast retries, no TZ: America/Chicago). */
export function cliEnv(standIn: StandIn, receiver: Receiver | undefined, stateDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { BASE_URL: standIn.url, API_KEY: standIn.apiKey, ...(receiver === undefined ? {} : { WEBHOOK_URL: receiver.url }), STATE_DIR: stateDir, RETRY_MIN_DELAY: '10', ...extra };
}

/** The webhook secret the fault suites sign with (faultCliEnv). */
export const secret = 'whsec_' + Buffer.from('promises test secret, 32 bytes!!').toString('base64');

/** cliEnv for the fault suites: signed, with fast retries and short timeouts: faults cost milliseconds, not seconds. */
export function faultCliEnv(standIn: StandIn, receiver: Receiver, stateDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return cliEnv(standIn, receiver, stateDir, { WEBHOOK_SECRET: secret, RETRY_MIN_DELAY: '5', RETRIES: '2', HTTP_TIMEOUT: '2000', ...extra });
}

/** The calendar day (YYYY-MM-DD) of an instant in a zone: what an operator types after --backfill. */
export function dayIn(ms: number, zone = 'America/Chicago'): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

/** A chat's createdAt in ms. */
export function createdMs(chat: RawChat): number {
  return Date.parse(String(chat['createdAt']));
}

/** A sorted, comma-joined chat-id list: the identity of a conversation. */
export function chatKey(ids: readonly number[]): string {
  return [...new Set(ids)].sort((a, b) => a - b).join(',');
}

/** The chat ids of a webhook body. */
export function chatIdsOf(body: { messages: readonly { chatId: number }[] }): number[] {
  return [...new Set(body.messages.map((message) => message.chatId))];
}

/** Every file under `dir` (relative path → sha256), to show a folder was left byte-for-byte as it was. */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    hashes[relative(dir, path)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return hashes;
}
