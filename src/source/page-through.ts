import { EMPTY, defer, expand, filter, from, map, type Observable } from 'rxjs';
import { McError } from '../errors.js';
import { findResumePage } from './find-resume-page.js';
import type { Page, ReadPage } from './page.js';
import type { ResumeFrom } from '../domain/resume-from.js';

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
  /** True when pages come newest first from a live table (the API, DESIGN §1): rows shift down between reads. */
  readonly newestFirst?: boolean;
  /**
   * Pages read ahead of the one being staged: 2 for the API, whose answers may come in any order; 1 (the default) for
   * a source read strictly in order (a file). After a page larger than `bigPageBytes`, only 1.
   */
  readonly pagesAhead?: 1 | 2;
  /** A page served larger than this (rows holding attachments or long sources) is followed by one read ahead, not two. @default 4 MiB */
  readonly bigPageBytes?: number;
  /** Where a stopped run got to: once a page reaches `resume.top`, paging jumps to the page holding `resume.low` (findResumePage). */
  readonly resume?: ResumeFrom | undefined;
}

const defaultBigPageBytes = 4 * 1024 * 1024;

// A page read under way: when its request went out, whether an empty page was to be refused, and the read itself.
interface Read {
  readonly requestedAt: number;
  readonly expectRows: boolean;
  readonly page: Promise<Page>;
}

// A page that came back, with when; and the read of the page after it, already under way.
interface Arrived {
  readonly page: Page;
  readonly receivedAt: number;
  readonly following?: Read | undefined;
}

interface Step<R> {
  readonly done?: PageDone<R>;
  readonly next?: Arrived;
}

// The night's first page, for telling a server that ignores the offset from rows that shifted (DESIGN §1 "Bursts"),
// and the resume point not yet reached.
interface Paging {
  first?: Page;
  resume?: ResumeFrom | undefined;
}

/**
 * Pages from offset 0 until `isLastPage`, staging each page while the next one or two are fetched (`pagesAhead`, no
 * more: memory stays flat; with two, paging is not one round trip per page). Emits each page once it is staged.
 * Chats written while it pages push rows down (a burst may fill whole pages with chats newer than the first page):
 * reading on misses nothing. Only a page that repeats the one before it or the night's first page, and matches a
 * fresh read of page 0, is a server ignoring the offset (DESIGN §1), refused with MC_SOURCE_LOOP.
 *
 * Two reads under way can miss rows when new chats push the rows down between them (DESIGN §1): a page read before
 * the page above it came back is kept only when no chat id can lie between the two — their ids touch or overlap —
 * and is read again otherwise, after, as sequential paging would (which insertions cannot make skip a row).
 */
export function pageThrough<R>(options: PagingOptions<R>): Observable<PageDone<R>> {
  const read = (offset: number, expectRows: boolean): Read => {
    const page = options.readPage(offset, expectRows);
    page.catch(() => undefined); // awaited when its turn comes; a read nobody needs any more may fail unseen
    return { requestedAt: performance.now(), expectRows, page };
  };
  const paging: Paging = { resume: options.resume };
  return defer(async (): Promise<Step<R>> => {
    const first = read(0, options.expectRowsOnFirstPage);
    const following = options.pagesAhead === 2 ? read(1, false) : undefined;
    paging.first = await first.page;
    return { next: { page: paging.first, receivedAt: performance.now(), following } };
  }).pipe(
    expand((step) => (step.next === undefined ? EMPTY : from(stageAndReadNext(step.next, options, read, paging))), 1),
    map((step) => step.done),
    filter((done): done is PageDone<R> => done !== undefined),
  );
}

async function stageAndReadNext<R>(arrived: Arrived, options: PagingOptions<R>, read: (offset: number, expectRows: boolean) => Read, paging: Paging): Promise<Step<R>> {
  const { page } = arrived;
  if (options.isLastPage(page)) return { done: { page, staged: await options.stage(page) } };
  const resume = paging.resume;
  if (resume !== undefined && reachesBelow(page, resume.top)) {
    // Back in the range earlier runs read: go on from the page where they stopped, found by ids (DESIGN §1).
    paging.resume = undefined;
    const ids = page.ids;
    if (ids.length > 0 && Math.min(...ids) > resume.low) {
      const staged = await options.stage(page);
      const landing = await findResumePage((offset) => read(offset, false).page, page.offset, resume);
      const next = landing ?? (await read(page.offset + 1, true).page);
      return { done: { page, staged }, next: { page: next, receivedAt: performance.now() } };
    }
  }
  const nextRead = arrived.following ?? read(page.offset + 1, true);
  // Read before it is known whether page + 1 is the last: an empty answer is then taken, not retried.
  // Memory is bounded by bytes, not rows: after a big page, the page after next waits (DESIGN §3 "Rows of any size").
  const afterNext = options.pagesAhead === 2 && page.bytes <= (options.bigPageBytes ?? defaultBigPageBytes) ? read(page.offset + 2, false) : undefined;
  const staged = await options.stage(page);
  let next = await nextRead.page;
  let following = afterNext;
  const readTooEarly = options.newestFirst === true && nextRead.requestedAt < arrived.receivedAt && !touches(page, next);
  if (readTooEarly || (!nextRead.expectRows && next.records.length === 0)) {
    // Read while this page was on its way with room for a chat between the two, or empty where rows are expected:
    // read it again, now, as sequential paging would.
    next = await read(page.offset + 1, true).page;
    following = undefined;
  }
  const repeated = sameIds(page, next) ? page : paging.first !== undefined && sameIds(paging.first, next) ? paging.first : undefined;
  if (repeated !== undefined && (options.newestFirst !== true || sameIds(await read(0, false).page, next))) {
    throw new McError('MC_SOURCE_LOOP', `AnythingLLM served page ${next.offset} as a repeat of page ${repeated.offset}, and page 0 reads the same: it is ignoring the page offset (does a proxy drop "Content-Type: application/json"?); the cursor was not moved`, { details: { offset: next.offset } });
  }
  return { done: { page, staged }, next: { page: next, receivedAt: performance.now(), following } };
}

// True when no chat id can lie strictly between `page` (newest first) and the page after it: the lowest id of the
// one is at most one above the highest id of the other. An empty page touches anything (it ends the paging); a page
// of records without a usable id proves nothing.
function touches(page: Page, next: Page): boolean {
  if (page.records.length === 0 || next.records.length === 0) return true;
  const ids = page.ids;
  const nextIds = next.ids;
  return ids.length > 0 && nextIds.length > 0 && Math.min(...ids) <= Math.max(...nextIds) + 1;
}

// True when a page holds a chat id at or below `id`.
function reachesBelow(page: Page, id: number): boolean {
  const ids = page.ids;
  return ids.length > 0 && Math.min(...ids) <= id;
}

function sameIds(a: Page, b: Page): boolean {
  const idsA = a.ids;
  const idsB = b.ids;
  return idsA.length > 0 && idsA.length === idsB.length && idsA.every((id, i) => id === idsB[i]);
}
