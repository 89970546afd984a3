import { safeOrigin } from './safe-url.js';

/** True for a redirect (3xx): never followed (DESIGN §3 "Reaching the receiver"). */
export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/**
 * What a redirect of `from` says, in the words both a parked conversation and `check` use: `HTTP 308 to
 * https://host/… (the same path): set WEBHOOK_URL to it`. The Location is shown as the webhook URL is (its origin and
 * `/…`: a path may be a token), with how its path compares to `from`'s: the same, with or without a trailing slash, or
 * another; `setting` is what to change. A reply without a usable Location says so.
 */
export function redirectText(status: number, location: string | null, from: URL, setting = 'WEBHOOK_URL'): string {
  if (location === null || location.trim() === '' || !URL.canParse(location, from.href)) return `HTTP ${status}, a redirect without a usable Location: not followed; check ${setting} with the receiver's owner`;
  const to = new URL(location, from);
  return `HTTP ${status} to ${safeOrigin(to)} (${samePath(from, to)}): set ${setting} to it`;
}

function samePath(from: URL, to: URL): string {
  const path = to.pathname === from.pathname ? 'the same path' : to.pathname === `${from.pathname}/` ? 'the same path with a trailing slash' : `${to.pathname}/` === from.pathname ? 'the same path without its trailing slash' : 'another path';
  return to.search === from.search ? path : `${path}, another query`;
}
