import type { Page } from '../source/page.js';
import type { PagingRecord } from '../store/records.js';
import type { ResumeFrom } from '../domain/resume-from.js';

/** The scope key of a run (see PagingRecord in state/records.ts). */
export function pagingScopeKey(horizonMs: number, includeHidden: boolean): string {
  return `${Number.isFinite(horizonMs) ? horizonMs : 'all'}:${includeHidden ? 'hidden' : 'visible'}`;
}

/** The horizon (ms) a scope key was built with; undefined for all history, or a key pagingScopeKey did not make. */
export function horizonOfScopeKey(scope: string): number | undefined {
  const horizon = scope.split(':')[0] ?? '';
  return /^-?\d+$/.test(horizon) ? Number(horizon) : undefined;
}

/**
 * Follows a run's pages, staged in order, and says what to store as the resume point after each (undefined: leave
 * the stored one as it is). Without an earlier point the range runs from the first page's newest id down to the
 * page just staged. With one, nothing changes until a page reaches back into it (the run's new pages on top are
 * staged, but the earlier range is what a next run would jump to); from then on the range is this run's top down to
 * the page just staged, which after the jump lies below the earlier range.
 */
export class ResumePoint {
  private top: number | undefined;
  private joined: boolean;

  constructor(private readonly earlier: ResumeFrom | undefined, private readonly scope: string) {
    this.joined = earlier === undefined;
  }

  /** The record to store once `page` is staged, or undefined. */
  staged(page: Page): PagingRecord | undefined {
    const ids = page.ids;
    if (ids.length === 0) return undefined;
    const low = Math.min(...ids);
    this.top ??= Math.max(...ids);
    if (!this.joined) {
      if (low > (this.earlier as ResumeFrom).top) return undefined;
      this.joined = true;
    }
    const earlierLow = this.earlier?.low;
    if (earlierLow !== undefined && low > earlierLow) return { top: this.top, low: earlierLow, lowOffset: (this.earlier as ResumeFrom).lowOffset + page.offset, scope: this.scope };
    return { top: this.top, low, lowOffset: page.offset, scope: this.scope };
  }
}
