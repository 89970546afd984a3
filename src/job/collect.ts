import { lastValueFrom, reduce } from 'rxjs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { RetryOptions } from '../http/retry.js';
import { apiPageReader } from '../source/api-source.js';
import { filePageReader } from '../source/file-source.js';
import { idsOf, type Page, type ReadPage } from '../source/page.js';
import { pageThrough } from '../source/page-through.js';
import { stagePage, zeroCounts, type StageCounts } from '../state/stage-page.js';
import type { State } from '../state/state.js';

/** What the paging phase read and staged. */
export interface Collected {
  readonly pages: number;
  readonly counts: StageCounts;
  /** The newest chat seen this run (highest id), or undefined when the source had none. */
  readonly newest: Newest | undefined;
}

/** The highest chat id seen and its `createdAt` as the source wrote it. */
export interface Newest {
  readonly id: number;
  readonly createdAt: string | null;
}

/** Everything the paging phase needs besides the state. */
export interface CollectOptions {
  readonly config: Config;
  readonly cursorId: number | undefined;
  readonly retry: RetryOptions;
  readonly log: Logger;
  readonly realNow: () => number;
}

/** Pages through the source and stages every page (DESIGN §1); the caller moves the cursor once this resolves. */
export async function collect(state: State, options: CollectOptions): Promise<Collected> {
  const { config, cursorId, log } = options;
  const source = config.source;
  if (source === undefined) throw new TypeError('collect needs a source');
  const readPage: ReadPage = source.kind === 'api' ? apiPageReader({ baseUrl: source.baseUrl, apiKey: source.apiKey, timeoutMs: config.timeoutMs, retry: options.retry }) : filePageReader(source.path);
  const isLastPage = (page: Page) => !page.hasPages || (source.kind === 'api' && cursorId !== undefined && isWholePageAtOrBelow(page, cursorId));
  const pages$ = pageThrough({
    readPage,
    isLastPage,
    expectRowsOnFirstPage: source.kind === 'api' && cursorId !== undefined,
    stage: (page) => stagePage(state, page.records, { includeHidden: config.includeHidden, realNowMs: options.realNow() }),
  });
  return lastValueFrom(
    pages$.pipe(
      reduce<{ page: Page; staged: StageCounts }, Collected>(
        (total, { page, staged }) => {
          if (page.offset === 0) warnIfBehindCursor(page, cursorId, log);
          return { pages: total.pages + 1, counts: add(total.counts, staged), newest: newer(total.newest, newestOf(page)) };
        },
        { pages: 0, counts: zeroCounts(), newest: undefined },
      ),
    ),
  );
}

/** True when every id on the page is at or below the cursor: the overlap page, the last one a night reads. */
export function isWholePageAtOrBelow(page: Page, cursorId: number): boolean {
  return idsOf(page).every((id) => id <= cursorId);
}

function newestOf(page: Page): Newest | undefined {
  let found: Newest | undefined;
  for (const record of page.records) {
    const { id, createdAt } = (record ?? {}) as { id?: unknown; createdAt?: unknown };
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 && (found === undefined || id > found.id)) {
      found = { id, createdAt: typeof createdAt === 'string' ? createdAt : null };
    }
  }
  return found;
}

function newer(a: Newest | undefined, b: Newest | undefined): Newest | undefined {
  if (a === undefined) return b;
  return b !== undefined && b.id > a.id ? b : a;
}

function warnIfBehindCursor(page: Page, cursorId: number | undefined, log: Logger): void {
  const newest = Math.max(...idsOf(page));
  if (cursorId !== undefined && newest < cursorId) {
    log.warn({ newest, cursor: cursorId }, "the source's newest chat id is below the cursor: was the AnythingLLM database replaced? Only page 0 is read while that lasts");
  }
}

function add(a: StageCounts, b: StageCounts): StageCounts {
  return {
    read: a.read + b.read,
    staged: a.staged + b.staged,
    updated: a.updated + b.updated,
    skipped: a.skipped + b.skipped,
    quarantined: a.quarantined + b.quarantined,
    ignored: a.ignored + b.ignored,
  };
}
