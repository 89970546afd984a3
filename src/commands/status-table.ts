import { counted } from '../log/counted.js';
import type { StatusView } from './status-view.js';
import type { DeliveryCounts } from '../domain/night-counts.js';

/** `memory-cron status` for a person: one labelled row per fact, numbers grouped, times in UTC. */
export function statusTable(view: StatusView): string {
  if (!view.ranBefore) return `nothing has run in ${view.stateDir} yet: no cursor, no conversations (the first run reads all history, or from --backfill DATE)\n`;
  const rows: [string, string][] = [['state dir', view.stateDir], ['state', stateText(view)]];
  if (view.progress !== null) rows.push(['progress', progressText(view.progress)]);
  rows.push(['cursor', view.cursor === null ? 'none yet (no night has finished paging)' : `chat ${view.cursor.id}, created ${view.cursor.createdAt ?? '?'} (moved ${view.cursor.movedAt})`]);
  rows.push(['history from', view.floor === null ? 'all history' : `${view.floor} (the first run was a --backfill; older chats are not taken in)`]);
  if (view.source !== null) rows.push(['source', view.source]);
  const last = view.lastRun;
  if (last === null) rows.push(['last run', 'none finished yet']);
  else {
    const took = last.durationMs === null ? '' : ` (${seconds(last.durationMs)})`;
    const how = last.exitCode === 0 ? 'exit 0' : `exit ${last.exitCode ?? '?'}${last.error === null ? '' : ` ${last.error.code}: ${last.error.message}`}`;
    rows.push(['last run', `${last.startedAt ?? '?'} → ${last.finishedAt ?? '?'}${took}, ${how}`]);
    if (last.command !== null) rows.push(['  command', last.command]);
    if (last.backfill !== null) rows.push(['  backfill', `from ${last.backfill}${last.replay === null ? '' : `, redelivered (${counted(last.replay.frozen, 'conversation')}, key suffix ${last.replay.key})`}`]);
    if (last.chats !== null) {
      const c = last.chats;
      rows.push(['  chats', `${n(c.read)} read · ${n(c.staged)} staged · ${n(c.updated)} updated · ${n(c.skipped)} skipped (hidden) · ${n(c.gone ?? 0)} gone · ${n(c.quarantined)} quarantined · ${n(c.ignored)} seen before${c.older ? ` · ${n(c.older)} older than the backfill` : ''}`]);
      // Summaries written before the re-read window have none of these (DESIGN §1: changes to sent chats are counted, never resent).
      const after = [c.changedAfterSend ?? 0, c.hiddenAfterSend ?? 0, c.deletedAfterSend ?? 0] as const;
      if (after.some((count) => count > 0)) rows.push(['  after sending', `${n(after[0])} changed · ${n(after[1])} hidden · ${n(after[2])} deleted (already sent: ${last.retractions === null || last.retractions === undefined ? 'counted, not resent' : 'told as retractions, not resent'})`]);
      if ((c.reusedIds ?? 0) > 0) rows.push(['  reused ids', `${n(c.reusedIds)} chats under ids that belonged to other chats (the source went back: a restored backup, or another server); sent as new chats`]);
    }
    if (last.conversations !== null) {
      const c = last.conversations;
      rows.push(['  conversations', `${n(c.sent)} sent (${n(c.resent)} from earlier) · ${n(c.dead)} dead · ${n(c.parked)} parked · ${n(c.open)} open${(c.capped ?? 0) > 0 ? ` · ${n(c.capped ?? 0)} cut by a cap` : ''}${c.webhookDown || c.unreachable === true ? ` · webhook ${c.unreachable === true ? 'unreachable' : 'taken to be down'}${(c.waiting ?? 0) > 0 ? `, ${n(c.waiting ?? 0)} closed not tried (sent first next run)` : ''}` : ''}`]);
      if (c.openTooLong !== undefined && c.openTooLong !== null) rows.push(['  open too long', openTooLongText(c.openTooLong)]);
    }
    if (last.retractions !== null && last.retractions !== undefined) {
      const r = last.retractions;
      rows.push(['  retractions', `${n(r.sent)} sent (${n(r.resent)} from earlier) · ${n(r.frozen)} frozen · ${n(r.dead)} dead · ${n(r.parked)} parked · ${n(r.waiting)} waiting${r.webhookDown ? ' · retraction webhook taken to be down' : ''}`]);
    }
  }
  const counts = view.counts;
  if (counts !== null) {
    rows.push(['open', `${counts.openConversations === null ? '? conversations' : counted(counts.openConversations, 'conversation')}, ${counted(counts.stagedChats, 'staged chat')}`]);
    rows.push(['sent', counted(counts.sentConversations, 'conversation')]);
    rows.push(['dead letters', `${n(counts.deadLetters)} dead · ${n(counts.parked)} parked · ${n(counts.pending)} pending${counts.deadLetters + counts.parked > 0 ? '  (memory-cron dead-letters)' : ''}`]);
    const r = counts.retractions;
    if (r.sent + r.waiting + r.dead + r.parked > 0) rows.push(['retractions', `${n(r.sent)} sent · ${n(r.waiting)} waiting · ${n(r.dead)} dead · ${n(r.parked)} parked${r.dead + r.parked > 0 ? '  (memory-cron dead-letters)' : ''}`]);
    rows.push(['quarantined', `${counted(counts.quarantined, 'record')}${counts.quarantined > 0 ? '  (memory-cron quarantine)' : ''}`]);
    if (counts.countedAt !== null) rows.push(['counted at', `${counts.countedAt}${view.running ? ' (the end of the last run; the running one counts when it ends)' : ''}`]);
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${label.padEnd(width)}${value}\n`).join('');
}

function openTooLongText(open: NonNullable<DeliveryCounts['openTooLong']>): string {
  return `chat history ${open.history}: a conversation open since ${open.startedAt} (${n(open.chats)} chats from chat ${open.firstChatId}), longer than ${seconds(open.spanMs)}: it is sent only once it goes quiet; set MAX_CONVERSATION_SPAN (not 0) to send it in parts`;
}

function stateText(view: StatusView): string {
  const holder = view.holder;
  if (view.state === 'running') return holder === null ? 'running: a process holds the lock of STATE_DIR (holder not recorded)' : `running: pid ${holder.pid}, \`${holder.command}\`, since ${holder.startedAt}`;
  if (view.state === 'interrupted') return `interrupted: the run${holder === null ? '' : ` pid ${holder.pid} started ${holder.startedAt}`} ended without its last checkpoint (killed?); the next run finishes its work`;
  return `idle (status.json written ${view.updatedAt ?? '?'})`;
}

function progressText(progress: Record<string, unknown>): string {
  const get = (name: string) => (typeof progress[name] === 'number' ? (progress[name] as number) : undefined);
  const parts = [String(progress['phase'] ?? '?'), counted(get('pages') ?? 0, 'page'), counted(get('chats') ?? 0, 'chat'), `${counted(get('conversations') ?? 0, 'conversation')} sent`];
  if (get('percent') !== undefined) parts.push(`${get('percent')}%`);
  if (get('etaSeconds') !== undefined) parts.push(`ETA ${seconds((get('etaSeconds') ?? 0) * 1000)}`);
  return parts.join(' · ');
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}
