import { lastValueFrom, reduce } from 'rxjs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { RetryOptions } from '../http/retry.js';
import { killPoint } from '../kill-point.js';
import type { Newest, Page } from '../source/page.js';
import type { PageDone } from '../source/page-through.js';
import { pageSource } from '../source/page-source.js';
import type { PagingRules, Scope } from '../source/paging-scope.js';
import { stageReplay } from '../staging/stage-replay.js';
import { stagePage } from '../staging/stage-page.js';
import { runScope } from './run-scope.js';
import type { State } from '../store/state.js';
import type { PagingCounts } from '../status/run-summary.js';
import { zeroCounts, type StageCounts, type StageFindings } from '../domain/night-counts.js';
import type { ResumeFrom } from '../domain/resume-from.js';

/** What the paging phase read and staged. */
export interface Collected {
  readonly pages: number;
  /** `read` counts every record; `older` those left alone as older than the run's horizon (DESIGN §5). */
  readonly counts: PagingCounts;
  /** The newest chat seen this run (highest id), or undefined when the source had none. */
  readonly newest: Newest | undefined;
}

/** Everything the paging phase needs besides the state. */
export interface CollectOptions {
  readonly config: Config;
  readonly cursorId: number | undefined;
  readonly retry: RetryOptions;
  readonly log: Logger;
  /** The real clock (ms), for the "more than a day in the future" check. */
  readonly realNow: () => number;
  /** Which chats to take in and where paging stops (`--backfill`, the floor). @default all history, down to the cursor */
  readonly scope?: Scope;
  /** `--redeliver`: also keep every chat since this instant (ms) in the replay sublevel. */
  readonly replaySinceMs?: number | undefined;
  /** Told after each page is staged (progress, checkpoints). */
  readonly onPage?: (page: Page, staged: StageCounts) => void | Promise<void>;
  /** Collects the chat ids behind the counts (`reconcile`). */
  readonly findings?: StageFindings;
  /** Where a stopped run got to (API only): paging jumps there once it reaches back into what that run read. */
  readonly resume?: ResumeFrom | undefined;
  /** Replace the scope's take and last-page rules (`reconcile` reads back to its own date, and only at or below the cursor). */
  readonly rules?: PagingRules;
}

/** Pages through the source and stages every page (DESIGN §1); the caller moves the cursor once this resolves. */
export async function collect(state: State, options: CollectOptions): Promise<Collected> {
  const { config, replaySinceMs } = options;
  const source = config.source;
  if (source === undefined) throw new TypeError('collect needs a source');
  const scope = options.scope ?? runScope(options.cursorId, undefined, undefined);
  const paging = { source, timeoutMs: config.timeoutMs, retry: options.retry, realNow: options.realNow, log: options.log, scope, rules: options.rules, resume: options.resume };
  const pages$ = pageSource(paging, async (page): Promise<PagingCounts> => {
    killPoint('page-read');
    const staged = { ...(await stagePage(state, page.taken, { includeHidden: config.includeHidden, realNowMs: options.realNow(), absentBetween: page.absentBetween, retractions: config.retractWebhookUrl !== undefined, ...(options.findings === undefined ? {} : { findings: options.findings }) })), read: page.records.length };
    if (replaySinceMs !== undefined) await stageReplay(state, page.turns, { sinceMs: replaySinceMs, includeHidden: config.includeHidden });
    await options.onPage?.(page, staged);
    killPoint('page-staged');
    return { ...staged, older: page.older };
  });
  return lastValueFrom(
    pages$.pipe(
      reduce<PageDone<PagingCounts>, Collected>(
        (total, { page, staged }) => ({ pages: total.pages + 1, counts: add(total.counts, staged), newest: newer(total.newest, page.newest) }),
        { pages: 0, counts: { older: 0, ...zeroCounts() }, newest: undefined },
      ),
    ),
  );
}

function newer(a: Newest | undefined, b: Newest | undefined): Newest | undefined {
  if (a === undefined) return b;
  return b !== undefined && b.id > a.id ? b : a;
}

// The counts of the pages so far and of one more page, key by key (in the order of the running total's keys).
function add(total: PagingCounts, page: PagingCounts): PagingCounts {
  const sum: { -readonly [K in keyof PagingCounts]: number } = { ...total };
  for (const key of Object.keys(sum) as (keyof PagingCounts)[]) sum[key] += page[key];
  return sum;
}
