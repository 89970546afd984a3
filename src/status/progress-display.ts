import { counted } from '../log/counted.js';
import type { Logger } from 'pino';
import { estimate, pagingFraction, type RunProgress } from './run-progress.js';

/** A stream the progress line is drawn on: stderr, or a test's stand-in. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** Where and how often progress is shown. */
export interface ProgressDisplayOptions {
  /** On a terminal: a live line redrawn in place. Otherwise: a log line now and then. */
  readonly stream: ProgressStream;
  readonly log: Logger;
  /** The clock; injected by tests. @default Date.now */
  readonly clock?: () => number;
  /** Least time between two redraws of the terminal line. @default 100 ms */
  readonly redrawEveryMs?: number;
  /** Least time between two progress log lines without a terminal (under systemd). @default 30 s */
  readonly logEveryMs?: number;
}

/** Shows a run's progress; `clear` takes the live line away (before a log line is written), `done` for good. */
export interface ProgressDisplay {
  update(progress: Readonly<RunProgress>): void;
  clear(): void;
  done(): void;
}

const clearLine = '\r\u001B[K';

/**
 * The progress line of DESIGN §6's operator: on a terminal a line on stderr redrawn with `\r` at most every
 * 100 ms, cut to the terminal's width; without one a pino line at most every 30 s (none for a short run).
 * A tiny writer on purpose: log-update needs Node 22 from v8 and, through restore-cursor, installs
 * signal-exit handlers that would race the run's own SIGINT/SIGTERM handling.
 */
export function progressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const clock = options.clock ?? Date.now;
  const terminal = options.stream.isTTY === true;
  const redrawEveryMs = options.redrawEveryMs ?? 100;
  const logEveryMs = options.logEveryMs ?? 30_000;
  let shown = false;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lastLog: number | undefined;
  let finished = false;
  const clear = (): void => {
    if (!shown) return;
    options.stream.write(clearLine);
    shown = false;
  };
  return {
    update(progress) {
      if (finished) return;
      const now = clock();
      if (terminal) {
        if (shown && now - lastDraw < redrawEveryMs) return;
        const columns = options.stream.columns ?? 0;
        const width = Math.max(20, (columns > 0 ? columns : 80) - 1); // a pseudo-terminal may report 0 columns
        options.stream.write(clearLine + progressLine(progress, now).slice(0, width));
        shown = true;
        lastDraw = now;
        return;
      }
      lastLog ??= progress.startedAtMs;
      if (now - lastLog < logEveryMs) return;
      lastLog = now;
      options.log.info({ progress: progressFields(progress, now) }, `progress: ${progressLine(progress, now)}`);
    },
    clear,
    done() {
      clear();
      finished = true;
    },
  };
}

/** One readable line, most telling first (a narrow terminal cuts the end): `paging · 57 pages · 1,140 chats · 380 chats/s · 43% · ETA 0:42 · back to …`. */
export function progressLine(progress: Readonly<RunProgress>, nowMs: number): string {
  const { perSecond, etaMs } = estimate(progress, nowMs);
  const parts: string[] = [progress.phase, counted(progress.pages, 'page'), counted(progress.chats, 'chat')];
  if (progress.phase === 'paging') {
    parts.push(`${rate(perSecond)} chats/s`);
    const fraction = pagingFraction(progress);
    if (fraction !== undefined) parts.push(`${Math.floor(fraction * 100)}%`);
    if (etaMs !== undefined) parts.push(`ETA ${duration(etaMs)}`);
    if (progress.oldestMs !== undefined) parts.push(`back to ${new Date(progress.oldestMs).toISOString().slice(0, 16)}Z`);
  } else {
    if (progress.replayed > 0) parts.push(`${count(progress.replayed)} regrouped`);
    parts.push(`${counted(progress.sent, 'conversation')} sent`);
    if (progress.failed > 0) parts.push(`${count(progress.failed)} failed`);
    if (progress.phase !== 'done') parts.push(`${rate(perSecond)}/s`);
  }
  parts.push(`elapsed ${duration(nowMs - progress.startedAtMs)}`);
  return parts.join(' · ');
}

/** The numbers of a progress log line (rates rounded, ETA in seconds). */
export function progressFields(progress: Readonly<RunProgress>, nowMs: number): Record<string, unknown> {
  const { perSecond, etaMs } = estimate(progress, nowMs);
  const fraction = progress.phase === 'paging' ? pagingFraction(progress) : undefined;
  return {
    phase: progress.phase,
    pages: progress.pages,
    chats: progress.chats,
    staged: progress.staged,
    conversations: progress.sent,
    failed: progress.failed,
    perSecond: Math.round(perSecond * 10) / 10,
    ...(fraction === undefined ? {} : { percent: Math.floor(fraction * 100) }),
    ...(etaMs === undefined ? {} : { etaSeconds: Math.round(etaMs / 1000) }),
  };
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function rate(perSecond: number): string {
  return perSecond >= 10 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}

function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
