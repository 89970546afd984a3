import { counted } from '../log/counted.js';
import type { Config } from '../config.js';
import { asStateError } from '../statedir/state-error.js';
import type { Conversation } from '../domain/conversation.js';
import { configuredSender } from '../delivery/configured-sender.js';
import { retryPolicy } from '../config/retry-policy.js';
import { deliver } from '../delivery/deliver.js';
import { deliveryProblem } from '../status/run-outcome.js';
import { updateStatusTotals } from '../status/status-checkpoints.js';
import { bodyOf } from '../delivery/frozen-body.js';
import type { OutboxEntry } from '../store/records.js';
import type { State } from '../store/state.js';
import { commandLog, exitFor, loggedCommand, stopSignal, version } from './command-context.js';
import { nothingRanLine, openExistingState } from './open-existing-state.js';
import { textTable } from './text-table.js';
import type { LetterFields } from '../domain/letter.js';
import { retractionLetters, retractionRow, type RetractionLetterView } from '../retractions/retraction-letters.js';
import { deliverRetractions } from '../retractions/deliver-retractions.js';
import { retractionSender } from '../retractions/retraction-sender.js';
import { retractionProblem } from '../retractions/retraction-problem.js';

/** One dead letter as `dead-letters --json` lists it. */
export interface DeadLetterView extends LetterFields {
  readonly conversation: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly messages: number;
}

/** `memory-cron dead-letters [--json]`: lists the dead and parked conversations (takes the lock; exit 3 while a run holds it). */
export async function deadLettersCommand(config: Config, commandLine: string, json: boolean): Promise<number> {
  const state = await openExistingState(config.stateDir, commandLine, { fixPermissions: config.fixPermissions, stateKey: config.stateKey });
  if (state === undefined) {
    process.stdout.write(json ? `${JSON.stringify({ stateDir: config.stateDir, ranBefore: false, count: 0, pending: 0, deadLetters: [], retractions: [], retractionsPending: 0 })}\n` : nothingRanLine(config.stateDir));
    return 0;
  }
  try {
    const letters: DeadLetterView[] = [];
    let pending = 0;
    for await (const entry of state.outboxEntries(['pending', 'dead', 'parked'])) {
      if (entry.status === 'pending') pending++;
      else {
        const frozen = await state.frozenConversation(entry.conversation.id);
        if (frozen !== undefined) letters.push(view(frozen.entry, bodyOf(frozen, { keepReasoning: config.keepReasoning })));
      }
    }
    const retractions = await retractionLetters(state);
    if (json) process.stdout.write(`${JSON.stringify({ stateDir: config.stateDir, ranBefore: true, count: letters.length, pending, deadLetters: letters, retractions: retractions.letters, retractionsPending: retractions.pending })}\n`);
    else process.stdout.write(table(config.stateDir, letters, pending, retractions));
    return 0;
  } catch (error) {
    throw asStateError(error, config.stateDir, 'listing the dead letters');
  } finally {
    await state.close();
  }
}

/** `memory-cron dead-letters retry`: sends every dead, parked and pending conversation now; exit 6 if some still fail. */
export async function retryDeadLettersCommand(config: Config, commandLine: string): Promise<number> {
  const log = commandLog(config, { toStderr: false, command: 'dead-letters' });
  const stop = stopSignal(config.deadlineMs);
  return loggedCommand(log, stop, async () => {
    const state = await openExistingState(config.stateDir, commandLine, { fixPermissions: config.fixPermissions, stateKey: config.stateKey });
    if (state === undefined) {
      log.logger.info({ stateDir: config.stateDir }, 'nothing has run here yet: no dead letters');
      return 0;
    }
    try {
      const delivered = await retryAll(state, config, stop.signal, log.logger);
      const retracted = await retryRetractions(state, config, stop.signal, log.logger);
      const totals = await state.totals();
      await updateStatusTotals(config.stateDir, totals).catch(() => undefined);
      const retractionsPart = retracted === null ? '' : `; retractions: ${retracted.sent} sent, ${retracted.dead} dead, ${retracted.parked} parked`;
      log.logger.info({ conversations: delivered, retractions: retracted, totals }, `dead letters retried: ${delivered.sent} sent, ${delivered.dead} dead, ${delivered.parked} parked${retractionsPart}`);
      return exitFor(log.logger, deliveryProblem(delivered, config.webhookUrl) ?? retractionProblem(retracted, config.retractWebhookUrl));
    } finally {
      await state.close();
    }
  });
}

async function retryAll(state: State, config: Config, signal: AbortSignal, log: ReturnType<typeof commandLog>['logger']) {
  const { counts } = await deliver(state, {
    send: configuredSender(config, retryPolicy(config, signal), version, log.child({ stage: 'delivery' })),
    gapMs: config.gapMs,
    keepReasoning: config.keepReasoning,
    nowMs: Date.now(),
    concurrency: config.concurrency,
    retryStatuses: ['pending', 'dead', 'parked'],
    newConversations: false,
    log: log.child({ stage: 'delivery' }),
  });
  return counts;
}

// The dead, parked and pending retractions, sent again to RETRACT_WEBHOOK_URL (null when it is unset: they wait).
async function retryRetractions(state: State, config: Config, signal: AbortSignal, log: ReturnType<typeof commandLog>['logger']) {
  const send = retractionSender(config, retryPolicy(config, signal), version, log.child({ stage: 'retractions' }));
  if (send === undefined) return null;
  return deliverRetractions(state, { send, freezeNew: false, retryStatuses: ['pending', 'dead', 'parked'], concurrency: config.concurrency, log: log.child({ stage: 'retractions' }) });
}

function view(entry: OutboxEntry, conversation: Conversation): DeadLetterView {
  return {
    conversation: conversation.id,
    workspace: conversation.workspace,
    threadId: conversation.threadId,
    user: conversation.user ?? null,
    apiSessionId: conversation.apiSessionId ?? null,
    status: entry.status === 'parked' ? 'parked' : 'dead',
    attempts: entry.attempts,
    lastError: entry.lastError ?? null,
    failedAt: entry.failedAt ?? null,
    startedAt: conversation.startedAt,
    endedAt: conversation.endedAt,
    messages: conversation.messages.length,
  };
}

// The chat history a dead letter belongs to, as an operator reads it: a thread, or whose default thread.
function historyOf(letter: Pick<DeadLetterView, 'threadId' | 'user' | 'apiSessionId'>): string {
  if (letter.threadId !== null) return `thread ${letter.threadId}`;
  if (letter.user !== null) return `default · ${letter.user.username ?? `user ${letter.user.id}`}`;
  return letter.apiSessionId === null ? 'default' : `default · API ${letter.apiSessionId}`;
}

function table(stateDir: string, letters: readonly DeadLetterView[], pending: number, retractions: { letters: readonly RetractionLetterView[]; pending: number }): string {
  const dead = letters.filter((letter) => letter.status === 'dead').length;
  const retracting = retractions.letters.length + retractions.pending === 0 ? '' : `; ${counted(retractions.letters.length, 'dead or parked retraction')}${retractions.pending > 0 ? `, ${retractions.pending} pending` : ''}`;
  const head = `${counted(letters.length, 'dead letter')} in ${stateDir} (${dead} dead: retried by the next run; ${letters.length - dead} parked: refused by the webhook)${pending > 0 ? `, ${pending} pending` : ''}${retracting}`;
  if (letters.length + retractions.letters.length === 0) return `${head}\n`;
  const rows = [
    ...letters.map((l) => [l.conversation, `${l.workspace.name} (${l.workspace.id})`, historyOf(l), l.status, String(l.attempts), l.failedAt ?? '-', l.lastError ?? '-']),
    ...retractions.letters.map((l) => retractionRow(l, historyOf(l))),
  ];
  return `${head}\n${textTable(['CONVERSATION', 'WORKSPACE', 'CHAT HISTORY', 'STATUS', 'ATTEMPTS', 'FAILED AT', 'LAST ERROR'], rows, 80)}ATTEMPTS counts the POSTs that tried a conversation, over every run and retry of this command\nsend them now: memory-cron dead-letters retry\n`;
}
