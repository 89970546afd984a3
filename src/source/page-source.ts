import { tap, type Observable } from 'rxjs';
import type { Logger } from 'pino';
import type { SourceConfig } from '../config.js';
import type { ResumeFrom } from '../domain/resume-from.js';
import type { RetryOptions } from '../http/retry.js';
import { finishPage, type FinishedPage } from './finished-page.js';
import type { Page } from './page.js';
import { pageReader } from './page-reader.js';
import { pageThrough, type PageDone } from './page-through.js';
import { scopeRules, type PagingRules, type Scope } from './paging-scope.js';

/** One run's paging of its source, given once when paging starts: where and how to read, and the run's scope. */
export interface SourcePaging {
  readonly source: SourceConfig;
  /** Per-request timeout of the API (ms). */
  readonly timeoutMs: number;
  readonly retry: RetryOptions;
  /** The real clock (ms), for the "more than a day in the future" check. */
  readonly realNow: () => number;
  /** Told when page 0's newest chat is below the cursor. */
  readonly log: Logger;
  /** The cursor before this run, which chats it takes in and where its paging stops. */
  readonly scope: Scope;
  /** Replace the scope's take and last-page rules (`reconcile`: reconcileRules). @default scopeRules(scope) */
  readonly rules?: PagingRules | undefined;
  /** Where a stopped run got to (API only): paging jumps there once it reaches back into what that run read. */
  readonly resume?: ResumeFrom | undefined;
}

/**
 * Pages through the source from offset 0 to the run's last page (pageThrough; DESIGN §1), hands `stage` each page
 * finished (finishPage: the records the run takes, how many it leaves as older, the id gaps proving chats absent,
 * the turns for a replay) and emits each page once staged. An API page must hold rows on page 0 when a cursor
 * exists, is read two pages ahead and may resume where a stopped run got to; a file is read in order to its end.
 * When page 0's newest chat is below the cursor, warns that the newest chats were deleted or the source went back.
 * Errors: the McErrors of reading (MC_SOURCE_*, MC_CONFIG for an unreadable file) and whatever `stage` throws.
 */
export function pageSource<R>(paging: SourcePaging, stage: (page: FinishedPage) => Promise<R>): Observable<PageDone<R>> {
  const { source, scope } = paging;
  const isApi = source.kind === 'api';
  const rules = paging.rules ?? scopeRules(scope);
  return pageThrough({
    readPage: pageReader(source, { timeoutMs: paging.timeoutMs, retry: paging.retry, realNow: paging.realNow }),
    isLastPage: isApi ? rules.isLastPage : (page) => !page.hasPages,
    expectRowsOnFirstPage: isApi && scope.cursorId !== undefined,
    newestFirst: isApi,
    pagesAhead: isApi ? 2 : 1,
    resume: isApi ? paging.resume : undefined,
    stage: (page) => stage(finishPage(page, rules.take, source.kind)),
  }).pipe(
    tap(({ page }) => {
      if (page.offset === 0) warnIfBehindCursor(page, scope.cursorId, paging.log);
    }),
  );
}

// DESIGN §1: page 0's newest chat below the cursor means the newest chats were deleted, or the source went back.
function warnIfBehindCursor(page: Page, cursorId: number | undefined, log: Logger): void {
  const newest = Math.max(...page.ids);
  if (cursorId !== undefined && newest < cursorId) {
    log.warn({ newest, cursor: cursorId }, `the source's newest chat id ${newest} is below the cursor ${cursorId}: its newest chats were deleted, or the source went back (AnythingLLM restored from a backup, or BASE_URL names another server); paging goes on as usual, and chats under reused ids are sent as new chats`);
  }
}
