import { lastValueFrom, defaultIfEmpty } from 'rxjs';
import type { Logger } from 'pino';
import { conversationId } from '../conversations/conversation-id.js';
import { toConversation } from '../conversations/conversation.js';
import { continuesFrom, rollingGap } from '../conversations/rolling-gap.js';
import type { SendConversation } from '../delivery/webhook-sender.js';
import { pullConcurrently } from '../delivery/pull-concurrently.js';
import { killPoint } from './kill-point.js';
import { threadKey } from '../state/keys.js';
import { GroupCommit } from '../state/group-commit.js';
import { inShortReads } from '../state/short-reads.js';
import { bodyOf, freeze, frozenTurnKeys, latestSent, markFailed, markSent, outboxEntries, type Frozen, type ToFreeze } from '../state/outbox.js';
import type { LastSent, OutboxStatus } from '../state/records.js';
import type { Turn } from '../source/turn.js';
import type { State } from '../state/state.js';

/** Consecutive failed deliveries after which the webhook is taken to be down (DESIGN §3). */
export const webhookDownAfter = 10;

/** What the delivery phase did. */
export interface Delivered {
  sent: number;
  /** Of `sent`, conversations frozen by an earlier run (a crash, or dead letters retried). */
  resent: number;
  /** New dead letters (retries ran out; retried next run). */
  dead: number;
  /** New parked conversations (refused with a permanent 4xx). */
  parked: number;
  /** Conversations still open, left staged for a later night, and their turns. */
  open: number;
  openTurns: number;
  webhookDown: boolean;
}

/** Shared by the delivery passes of one night: failures in a row, and whether the webhook was taken to be down. */
export interface Breaker {
  consecutiveFailures: number;
  down: boolean;
}

/** What delivery needs besides the state. */
export interface DeliverOptions {
  readonly send: SendConversation;
  readonly gapMs: number;
  /** The instant that decides which conversations are closed. */
  readonly nowMs: number;
  readonly concurrency: number;
  /** Outbox statuses sent again before new conversations. @default ['pending', 'dead'] */
  readonly retryStatuses?: readonly OutboxStatus[];
  /** Also form and send the closed conversations among the staged turns (false: the outbox only, `dead-letters retry`). @default true */
  readonly newConversations?: boolean;
  /**
   * Deliver only conversations whose first turn is after this instant, leaving the rest staged and uncounted: a
   * pass while paging still goes on, over what no unread (older) page can extend (DESIGN §2).
   */
  readonly startsAfterMs?: number;
  /** Carried from an earlier pass of the same night. @default a fresh one */
  readonly breaker?: Breaker;
  /** Told after each delivery (progress, checkpoints). */
  readonly onDelivered?: (ok: boolean) => void;
  readonly log: Logger;
}

/**
 * Sends the outbox left by earlier runs, then every closed conversation among the staged turns: each is frozen in
 * the outbox before its first POST and marked sent in one batch after its 2xx (DESIGN §3–§4).
 */
export async function deliver(state: State, options: DeliverOptions): Promise<Delivered> {
  const result: Delivered = { sent: 0, resent: 0, dead: 0, parked: 0, open: 0, openTurns: 0, webhookDown: false };
  const breaker = options.breaker ?? { consecutiveFailures: 0, down: false };
  const commits = new GroupCommit(state);
  const deliverOne = async ({ frozen, earlier }: Queued): Promise<void> => {
    const { entry, conversation } = frozen;
    const key = entry.replay === undefined ? conversation.id : `${conversation.id}.${entry.replay}`;
    const outcome = await options.send(conversation, key);
    if (outcome.ok) {
      breaker.consecutiveFailures = 0;
      killPoint('posted');
      await markSent(commits, state, frozen, new Date());
      killPoint('marked-sent');
      result.sent++;
      if (earlier) result.resent++;
      options.onDelivered?.(true);
      return;
    }
    const status = outcome.permanent ? 'parked' : 'dead';
    await markFailed(commits, state, entry, status, outcome.error, new Date());
    result[status]++;
    options.onDelivered?.(false);
    options.log.warn({ conversation: conversation.id, status, error: outcome.error }, outcome.permanent ? 'webhook refused a conversation: parked' : 'delivery failed after retries: dead letter');
    if (++breaker.consecutiveFailures >= webhookDownAfter && !breaker.down) {
      breaker.down = true;
      options.log.error({ failures: breaker.consecutiveFailures }, 'webhook taken to be down: delivery stopped, the rest waits for the next run');
    }
  };
  const entries = conversationsToSend(state, options, result);
  if (!breaker.down) await lastValueFrom(pullConcurrently(entries, options.concurrency, deliverOne, () => breaker.down).pipe(defaultIfEmpty(undefined)));
  result.webhookDown = breaker.down;
  return result;
}

// A frozen conversation waiting for its POST; `earlier` when an earlier run (or pass) froze it.
interface Queued {
  readonly frozen: Frozen;
  readonly earlier: boolean;
}

// Closed conversations frozen in one batch: few enough to bound what waits in the outbox when the webhook goes down.
const freezeChunk = 16;

async function* conversationsToSend(state: State, options: DeliverOptions, result: Delivered): AsyncGenerator<Queued> {
  for await (const entry of outboxEntries(state, options.retryStatuses ?? ['pending', 'dead'])) {
    const conversation = await bodyOf(state, entry);
    if (conversation !== undefined) yield { frozen: { entry, conversation }, earlier: true };
  }
  if (options.newConversations === false) return;
  // Frozen conversations' turns stay staged until their 2xx: they belong to no new conversation.
  const frozenKeys = await frozenTurnKeys(state);
  let chunk: ToFreeze[] = [];
  // Each thread's latest conversation: read once per thread (rollingGap yields a thread's conversations together).
  const latest = new Map<string, LastSent>();
  let thread: string | undefined;
  let lastSent: LastSent | undefined;
  for await (const run of rollingGap(stagedTurns(state, frozenKeys), { gapMs: options.gapMs, nowMs: options.nowMs })) {
    const first = run.turns[0];
    if (first === undefined) continue;
    if (options.startsAfterMs !== undefined && first.createdAt <= options.startsAfterMs) continue;
    if (!run.closed) {
      if (options.startsAfterMs === undefined) {
        result.open++;
        result.openTurns += run.turns.length;
      }
      continue;
    }
    const key = threadKey(first.workspaceId, first.threadId);
    if (key !== thread) [thread, lastSent] = [key, await state.threads.get(key)];
    const id = conversationId(first.workspaceId, first.threadId, run.turns.map((turn) => turn.id));
    const conversation = toConversation(id, run.turns, continuesFrom(lastSent, first.createdAt, (run.turns.at(-1) ?? first).createdAt, options.gapMs));
    lastSent = latestSent(lastSent, conversation);
    latest.set(key, lastSent);
    chunk.push({ conversation, turns: run.turns });
    if (chunk.length >= freezeChunk) {
      const entries = await freeze(state, chunk, latest, new Date());
      chunk = [];
      latest.clear();
      yield* frozen(entries);
    }
  }
  if (chunk.length > 0) yield* frozen(await freeze(state, chunk, latest, new Date()));
}

function* frozen(entries: readonly Frozen[]): Generator<Queued> {
  killPoint('frozen');
  for (const frozen of entries) yield { frozen, earlier: false };
}

// The staged turns in key order, but for those of frozen conversations; no snapshot is held while conversations
// are sent (see inShortReads). A turn staged meanwhile behind the last one read waits for the next pass: it is older
// than the oldest read when this pass began, so it cannot belong to any conversation this pass sends.
async function* stagedTurns(state: State, frozenKeys: ReadonlySet<string>): AsyncGenerator<Turn> {
  for await (const [key, turn] of inShortReads(state.turns)) if (!frozenKeys.has(key)) yield turn;
}
