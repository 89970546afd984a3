import { counted } from '../log/counted.js';
import type { IdList, Reconciled } from '../job/reconcile.js';
import { textTable } from './text-table.js';

// Ids shown per row of the table; `--json` lists them all.
const shownIds = 20;

/** `memory-cron reconcile` for a person (DESIGN §4): what it read, then one row per finding with its count and chat ids. */
export function reconcileTable(found: Reconciled): string {
  if (found.cursor === null) return `nothing to reconcile in ${found.stateDir}: no night has finished paging yet\n`;
  const head = `reconciled ${found.since === null ? 'all history' : `chats since ${found.since}`} at or below cursor ${found.cursor}: ${counted(found.pages, 'page')}, ${counted(found.read, 'chat')} read in ${(found.durationMs / 1000).toFixed(1)} s\n`;
  const rows: [string, IdList | number, string][] = [
    ['missed', found.missed, 'staged now: the next night sends them with their history'],
    ['changed after sending', found.changedAfterSend, 'counted, not resent'],
    ['hidden after sending', found.hiddenAfterSend, 'counted, not resent'],
    ['deleted after sending', found.deletedAfterSend, 'counted, not resent'],
    ['unsent, updated', found.updated, 'the staged copy now says what the source says'],
    ['unsent, gone', found.gone, 'deleted from the source: unstaged, never sent'],
  ];
  const retracting = found.retractions !== null;
  const told = retracting ? 'kept: the next night sends one retraction per conversation' : 'counted, not resent';
  for (const row of rows.slice(1, 4)) row[2] = told;
  const cells = rows.map(([what, value, meaning]) => (typeof value === 'number' ? [what, n(value), meaning, '-'] : [what, n(value.count), meaning, ids(value)]));
  const r = found.retractions;
  const tail = r === null ? '' : `retractions: ${n(r.sent)} sent · ${n(r.waiting)} waiting (the next night sends them) · ${n(r.dead)} dead · ${n(r.parked)} parked\n`;
  return head + textTable(['FOUND', 'CHATS', 'WHAT HAPPENS', 'CHAT IDS'], cells, 200) + tail;
}

function ids(list: IdList): string {
  if (list.count === 0) return '-';
  const shown = list.ids.slice(0, shownIds).join(', ');
  return list.count > shownIds ? `${shown} … and ${n(list.count - shownIds)} more (--json lists them all)` : shown;
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}
