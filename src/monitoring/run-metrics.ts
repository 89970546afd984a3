import { Gauge, Registry } from 'prom-client';
import type { RunReport } from './run-report.js';

/** The metric values of one run, each with its HELP text; a value left undefined is not written (unknown). */
const metrics = {
  memory_cron_last_run_start_timestamp_seconds: 'When the last run started (unix seconds).',
  memory_cron_last_run_end_timestamp_seconds: 'When the last run ended (unix seconds).',
  memory_cron_last_success_timestamp_seconds: 'When the last run that exited 0 ended (unix seconds); 0 if none has.',
  memory_cron_last_run_exit_code: 'Exit code of the last run (README "Exit codes").',
  memory_cron_last_run_duration_seconds: 'How long the last run took.',
  memory_cron_last_run_chats_read: 'Chats the last run read from AnythingLLM.',
  memory_cron_last_run_chats_staged: 'Chats the last run staged (new or changed).',
  memory_cron_last_run_chats_skipped: 'Chats the last run skipped (include: false).',
  memory_cron_last_run_chats_quarantined: 'Bad records the last run quarantined.',
  memory_cron_last_run_chats_reused_ids: 'Chats the last run met under ids that belonged to other chats (the source went back); sent as new chats.',
  memory_cron_last_run_conversations_sent: 'Conversations the last run delivered.',
  memory_cron_last_run_conversations_capped: 'Conversations the last run cut by MAX_CONVERSATION_SPAN or MAX_CONVERSATION_BYTES.',
  memory_cron_last_run_conversations_dead: 'Conversations whose retries ran out in the last run.',
  memory_cron_last_run_conversations_parked: 'Conversations the webhook refused with a 4xx in the last run.',
  memory_cron_last_run_retractions_sent: 'Retractions the last run delivered to RETRACT_WEBHOOK_URL (absent when it is unset).',
  memory_cron_retractions_sent: 'Retractions delivered, ever (DESIGN §3b).',
  memory_cron_retractions_waiting: 'Retractions waiting to be sent (frozen, or changes found and not yet frozen).',
  memory_cron_retractions_dead: 'Dead and parked retractions waiting in STATE_DIR (`memory-cron dead-letters`).',
  memory_cron_open_conversations: 'Conversations still open (waiting for their gap) at the end of the last run.',
  memory_cron_staged_turns: 'Chats staged in STATE_DIR, waiting for their conversation to close.',
  memory_cron_dead_letters: 'Dead and parked conversations waiting in STATE_DIR (`memory-cron dead-letters`).',
} as const;

type MetricName = keyof typeof metrics;

/** The Prometheus text exposition of a run's end, every sample labelled `instance`. */
export async function runMetricsText(report: RunReport, lastSuccessSeconds: number | undefined, instance: string): Promise<string> {
  const registry = new Registry();
  const { summary, totals } = report;
  const seconds = (date: Date) => date.getTime() / 1000;
  const values: Record<MetricName, number | null | undefined> = {
    memory_cron_last_run_start_timestamp_seconds: seconds(report.startedAt),
    memory_cron_last_run_end_timestamp_seconds: seconds(report.finishedAt),
    memory_cron_last_success_timestamp_seconds: report.exitCode === 0 ? seconds(report.finishedAt) : (lastSuccessSeconds ?? 0),
    memory_cron_last_run_exit_code: report.exitCode,
    memory_cron_last_run_duration_seconds: (report.finishedAt.getTime() - report.startedAt.getTime()) / 1000,
    memory_cron_last_run_chats_read: summary?.chats.read,
    memory_cron_last_run_chats_staged: summary?.chats.staged,
    memory_cron_last_run_chats_skipped: summary?.chats.skipped,
    memory_cron_last_run_chats_quarantined: summary?.chats.quarantined,
    memory_cron_last_run_chats_reused_ids: summary?.chats.reusedIds,
    memory_cron_last_run_conversations_sent: summary?.conversations.sent,
    memory_cron_last_run_conversations_capped: summary?.conversations.capped,
    memory_cron_last_run_conversations_dead: summary?.conversations.dead,
    memory_cron_last_run_conversations_parked: summary?.conversations.parked,
    memory_cron_last_run_retractions_sent: summary?.retractions?.sent,
    memory_cron_retractions_sent: totals?.retractionsSent,
    memory_cron_retractions_waiting: totals?.retractionsWaiting,
    memory_cron_retractions_dead: totals === undefined || totals.retractionsDead === undefined ? undefined : totals.retractionsDead + (totals.retractionsParked ?? 0),
    memory_cron_open_conversations: summary?.conversations.open ?? totals?.openConversations,
    memory_cron_staged_turns: totals?.stagedTurns,
    memory_cron_dead_letters: totals === undefined ? undefined : totals.deadLetters + totals.parked,
  };
  for (const [name, help] of Object.entries(metrics) as [MetricName, string][]) {
    const value = values[name];
    if (value === undefined || value === null) continue;
    new Gauge({ name, help, labelNames: ['instance'], registers: [registry] }).set({ instance }, value);
  }
  return registry.metrics();
}
