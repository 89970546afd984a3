import { EMPTY, defer, expand, filter, from, map, type Observable } from 'rxjs';
import { McError } from '../errors.js';
import { idsOf, type Page, type ReadPage } from './page.js';

/** A page that has been read and handed to `stage`, with what staging returned. */
export interface PageDone<R> {
  readonly page: Page;
  readonly staged: R;
}

/** What paging needs: how to read a page, how to stage one, and when a page is the last to read. */
export interface PagingOptions<R> {
  readonly readPage: ReadPage;
  readonly stage: (page: Page) => Promise<R>;
  readonly isLastPage: (page: Page) => boolean;
  /** True when page 0 may not be empty (a cursor exists: the server had chats before). */
  readonly expectRowsOnFirstPage: boolean;
  /** True when pages come newest first (the API, DESIGN §1): a page wholly newer than the one before is then refused. */
  readonly newestFirst?: boolean;
}

interface Step<R> {
  readonly done?: PageDone<R>;
  readonly next?: Page;
}

/**
 * Pages from offset 0 until `isLastPage`, staging each page while the next one is fetched (one page ahead, no
 * more: memory stays flat). Emits each page once it is staged. Refuses a server that serves the same page again.
 */
export function pageThrough<R>(options: PagingOptions<R>): Observable<PageDone<R>> {
  return defer(() => options.readPage(0, options.expectRowsOnFirstPage)).pipe(
    map((page): Step<R> => ({ next: page })),
    expand((step) => (step.next === undefined ? EMPTY : from(stageAndReadNext(step.next, options))), 1),
    map((step) => step.done),
    filter((done): done is PageDone<R> => done !== undefined),
  );
}

async function stageAndReadNext<R>(page: Page, options: PagingOptions<R>): Promise<Step<R>> {
  const nextRead = options.isLastPage(page) ? undefined : options.readPage(page.offset + 1, true);
  nextRead?.catch(() => undefined); // awaited below; staging this page finishes first either way
  const staged = await options.stage(page);
  const next = await nextRead;
  if (next !== undefined && (sameIds(page, next) || (options.newestFirst === true && isWhollyNewer(next, page)))) {
    throw new McError('MC_SOURCE_LOOP', `AnythingLLM served page ${next.offset} as a repeat of an earlier page (${sameIds(page, next) ? `identical to page ${page.offset}` : `every chat newer than page ${page.offset}'s`}): it is ignoring the page offset (does a proxy drop "Content-Type: application/json"?); the cursor was not moved`, { details: { offset: next.offset } });
  }
  return next === undefined ? { done: { page, staged } } : { done: { page, staged }, next };
}

// Offset paging on a live table only pushes rows down: the next page starts at or below this page's newest row unless
// some 40 chats were written between the two reads. A page wholly newer than this one is an earlier page served again
// (page 0, when the offset is ignored); reading on would skip the rows of the page asked for, under a moving cursor.
function isWhollyNewer(next: Page, page: Page): boolean {
  const ids = idsOf(page);
  const nextIds = idsOf(next);
  return ids.length > 0 && nextIds.length > 0 && Math.min(...nextIds) > Math.max(...ids);
}

function sameIds(a: Page, b: Page): boolean {
  const idsA = idsOf(a);
  const idsB = idsOf(b);
  return idsA.length > 0 && idsA.length === idsB.length && idsA.every((id, i) => id === idsB[i]);
}
