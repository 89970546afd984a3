import { lastValueFrom, reduce } from 'rxjs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { RetryOptions } from '../http/retry.js';
import type { PageRecord } from '../domain/page-record.js';
import { killPoint } from '../kill-point.js';
import type { Newest, Page } from '../source/page.js';
import { pageReader } from '../source/page-reader.js';
import { pageThrough } from '../source/page-through.js';
import { lastPageRule, takeRule, type Scope } from '../source/paging-scope.js';
import { stageReplay } from '../staging/stage-replay.js';
import { idGaps } from '../source/id-gaps.js';
import { turnsOf } from '../source/normalise-page.js';
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
  /** Replaces the scope's rule for the last page (`reconcile` reads back to its own date). */
  readonly isLastPage?: (page: Page) => boolean;
  /** Replaces the scope's rule for which records are this run's to stage (`reconcile`: only those at or below the cursor). */
  readonly take?: (record: PageRecord) => boolean;
}

/** Pages through the source and stages every page (DESIGN §1); the caller moves the cursor once this resolves. */
export async function collect(state: State, options: CollectOptions): Promise<Collected> {
  const { config, cursorId, log } = options;
  const source = config.source;
  if (source === undefined) throw new TypeError('collect needs a source');
  const readPage = pageReader(source, { timeoutMs: config.timeoutMs, retry: options.retry, realNow: options.realNow });
  const scope = options.scope ?? runScope(cursorId, undefined, undefined);
  const isLastPage = options.isLastPage ?? lastPageRule(scope, source.kind);
  const take = options.take ?? takeRule(scope);
  const pages$ = pageThrough({
    readPage,
    isLastPage,
    expectRowsOnFirstPage: source.kind === 'api' && cursorId !== undefined,
    newestFirst: source.kind === 'api',
    pagesAhead: source.kind === 'api' ? 2 : 1,
    resume: source.kind === 'api' ? options.resume : undefined,
    stage: async (page) => {
      killPoint('page-read');
      const records = page.records.filter(take);
      // An API page is one snapshot in id order: a staged chat between two of its neighbouring rows is gone (DESIGN §1).
      const absentBetween = source.kind === 'api' ? idGaps(page) : [];
      const staged = { ...(await stagePage(state, records, { includeHidden: config.includeHidden, realNowMs: options.realNow(), absentBetween, retractions: config.retractWebhookUrl !== undefined, ...(options.findings === undefined ? {} : { findings: options.findings }) })), read: page.records.length };
      if (options.replaySinceMs !== undefined) await stageReplay(state, turnsOf(page.records), { sinceMs: options.replaySinceMs, includeHidden: config.includeHidden });
      await options.onPage?.(page, staged);
      killPoint('page-staged');
      return { ...staged, older: page.records.length - records.length };
    },
  });
  return lastValueFrom(
    pages$.pipe(
      reduce<{ page: Page; staged: StageCounts & { older: number } }, Collected>(
        (total, { page, staged }) => {
          if (page.offset === 0) warnIfBehindCursor(page, cursorId, log);
          return { pages: total.pages + 1, counts: add(total.counts, staged), newest: newer(total.newest, page.newest) };
        },
        { pages: 0, counts: { ...zeroCounts(), older: 0 }, newest: undefined },
      ),
    ),
  );
}

function newer(a: Newest | undefined, b: Newest | undefined): Newest | undefined {
  if (a === undefined) return b;
  return b !== undefined && b.id > a.id ? b : a;
}

// DESIGN §1: page 0's newest chat below the cursor means the newest chats were deleted, or the source went back.
function warnIfBehindCursor(page: Page, cursorId: number | undefined, log: Logger): void {
  const newest = Math.max(...page.ids);
  if (cursorId !== undefined && newest < cursorId) {
    log.warn({ newest, cursor: cursorId }, `the source's newest chat id ${newest} is below the cursor ${cursorId}: its newest chats were deleted, or the source went back (AnythingLLM restored from a backup, or BASE_URL names another server); paging goes on as usual, and chats under reused ids are sent as new chats`);
  }
}

function add(a: Collected['counts'], b: Collected['counts']): Collected['counts'] {
  return {
    older: a.older + b.older,
    read: a.read + b.read,
    staged: a.staged + b.staged,
    updated: a.updated + b.updated,
    skipped: a.skipped + b.skipped,
    quarantined: a.quarantined + b.quarantined,
    ignored: a.ignored + b.ignored,
    gone: a.gone + b.gone,
    changedAfterSend: a.changedAfterSend + b.changedAfterSend,
    hiddenAfterSend: a.hiddenAfterSend + b.hiddenAfterSend,
    deletedAfterSend: a.deletedAfterSend + b.deletedAfterSend,
    reusedIds: a.reusedIds + b.reusedIds,
  };
}
