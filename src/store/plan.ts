import type { Turn } from '../domain/turn.js';
import { McError } from '../errors.js';
import { parsePlanKey, planKey, turnKey } from './keys.js';
import type { StateLevels } from './levels.js';
import type { PlanItem } from './records.js';
import { inShortReads } from './short-reads.js';

/** A conversation in the night's delivery plan, which runs oldest first: start time, then id (DESIGN §3 "Order"). */
export interface PlannedConversation {
  readonly id: string;
  /** Its first turn's `createdAt` (ms since the epoch). */
  readonly startedAtMs: number;
  /** Its chat history's key (domain/chat-history.ts historyKey): a history's conversations go out strictly in order. */
  readonly history: string;
  /** True for a new conversation, formed from staged turns (plannedTurns) and frozen just before its POST; false for one an earlier run froze. */
  readonly staged: boolean;
}

/** A conversation to plan: for a new one, its staged turns in order (their keys are what the plan keeps); none for one in the outbox. */
export interface PlanEntry extends Omit<PlannedConversation, 'staged'> {
  readonly turns?: readonly Turn[];
}

// Plan entries written per batch.
const planChunk = 512;

/**
 * Replaces the night's delivery plan (the `plan` sublevel, keyed by start time then id) with `entries`, written a
 * few hundred at a time as they come, so memory holds none of their turns. Returns how many it wrote.
 */
export async function writePlan(levels: StateLevels, entries: AsyncIterable<PlanEntry>): Promise<number> {
  await levels.plan.clear();
  let batch = levels.plan.batch();
  let written = 0;
  for await (const { id, startedAtMs, history, turns } of entries) {
    batch.put(planKey(startedAtMs, id), turns === undefined ? { history } : ({ history, turnKeys: turns.map(turnKey) } satisfies PlanItem));
    if (++written % planChunk !== 0) continue;
    await batch.write();
    batch = levels.plan.batch();
  }
  await batch.write();
  return written;
}

/** The plan in delivery order, streamed without holding a snapshot while conversations are sent (see inShortReads). */
export async function* plannedConversations(levels: StateLevels): AsyncGenerator<PlannedConversation> {
  for await (const [key, item] of inShortReads(levels.plan)) yield { ...parsePlanKey(key), history: item.history, staged: item.turnKeys !== undefined };
}

/** The staged turns of a new planned conversation, in order; MC_STATE_DAMAGED when some are missing. */
export async function plannedTurns(levels: StateLevels, planned: PlannedConversation): Promise<readonly Turn[]> {
  const keys = (await levels.plan.get(planKey(planned.startedAtMs, planned.id)))?.turnKeys;
  const turns = keys === undefined ? [undefined] : await levels.turns.getMany([...keys]);
  if (turns.some((turn) => turn === undefined)) {
    throw new McError('MC_STATE_DAMAGED', `state in ${levels.stateDir} is damaged: turns of planned conversation ${planned.id} are missing; restore it from a backup — nothing was rewritten`);
  }
  return turns as Turn[];
}

/** Empties the plan (once delivery is done). */
export async function clearPlan(levels: StateLevels): Promise<void> {
  await levels.plan.clear();
}
