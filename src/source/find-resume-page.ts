import type { Page } from './page.js';
import type { ResumeFrom } from '../domain/resume-from.js';

// Probes at most: a gallop and a bisection over a few million pages take far fewer.
const maxProbes = 64;

/**
 * Finds the page to go on from once paging has reached back into the range earlier runs read (the page at `from`
 * holds ids at or below `resume.top`): the first page after `from` whose lowest id is at or below `resume.low`.
 * Rows have shifted since (new chats on top push them down, deleted ones pull them up), so the offset is only
 * estimated — `resume.lowOffset` plus the pages the top grew by, which `from` measures — and then found by ids:
 * a gallop away from the estimate until the first page is bracketed, then a bisection. Every page before the one
 * found lies wholly above `resume.low`, inside the range already read, so nothing between is skipped (as with
 * sequential paging, a row deleted meanwhile may shift one across the boundary: the re-read window and `reconcile`
 * catch those). Resolves to undefined when no such page can be told (an empty page where rows should be, or too
 * many probes): the caller then pages on sequentially.
 */
export async function findResumePage(readPage: (offset: number) => Promise<Page>, from: number, resume: ResumeFrom): Promise<Page | undefined> {
  const estimate = Math.max(from + 1, from + resume.lowOffset);
  let above = from; // the last page known to lie wholly above resume.low
  let below: Page | undefined; // the first page known to reach resume.low
  let probe = estimate;
  let step = 1;
  for (let probes = 0; probes < maxProbes; probes++) {
    const page = await readPage(probe);
    if (reaches(page, resume.low)) {
      below = page;
    } else {
      above = probe;
    }
    const hi = below?.offset;
    if (hi !== undefined && hi - above <= 1) return below !== undefined && below.records.length > 0 ? below : undefined;
    if (hi === undefined) {
      probe = above + step; // still above: gallop forward
    } else if (above < estimate - step && probe <= estimate) {
      probe = Math.max(above + 1, hi - step); // at or below from the first probe: gallop back toward `from`
    } else {
      probe = Math.floor((above + hi) / 2); // bracketed: bisect
    }
    step *= 2;
  }
  return undefined;
}

// True when a page reaches down to `low`: its lowest id is at or below it (an empty page lies past the end).
function reaches(page: Page, low: number): boolean {
  const ids = page.ids;
  if (page.records.length === 0) return true;
  return ids.length > 0 && Math.min(...ids) <= low;
}
