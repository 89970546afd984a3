import { McError } from '../errors.js';
import { post, type Reply } from '../http/post.js';
import { isRetryableStatus, parseRetryAfter } from '../http/response-class.js';
import { safeUrl } from '../http/safe-url.js';
import { RetryableError, withRetry, type RetryOptions } from '../http/retry.js';
import type { RawPage, ReadRawPage } from './page.js';
import { pageStream, type PageStream } from './page-stream.js';

/** A page that came back but cannot be used (HTML, truncated JSON, wrong shape, empty where rows were expected). */
class BadPageError extends RetryableError {}

/** How to reach the AnythingLLM admin chat API. */
export interface ApiSourceOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Per-request timeout (ms): HTTP_TIMEOUT (config.ts gives its 30 s default). */
  readonly timeoutMs: number;
  readonly retry: RetryOptions;
}

/** The path DESIGN §1 names, under BASE_URL. */
function chatsEndpoint(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/api/v1/admin/workspace-chats`;
}

/** A ReadRawPage over `POST /api/v1/admin/workspace-chats`, with retries; fatal answers become McErrors. */
export function apiPageReader(options: ApiSourceOptions): ReadRawPage {
  const url = chatsEndpoint(options.baseUrl);
  const headers = { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json', accept: 'application/json' };
  return async (offset, expectRows) => {
    try {
      return await withRetry(async () => {
        // A 2xx body is parsed as it arrives (pageStream): a page of attachments is never held whole.
        const body = pageStream();
        const bodySink = (status: number) => (status >= 200 && status < 300 ? body.write : undefined);
        const reply = await post(url, JSON.stringify({ offset }), headers, { timeoutMs: options.timeoutMs, signal: options.retry.signal, bodySink });
        if (reply.status >= 300 && reply.status < 400) throw redirected(reply.status, reply.headers.get('location'), url);
        return parsePage(offset, expectRows, reply, body, url);
      }, { ...options.retry, onRetry: (error, attempt) => options.retry.onRetry?.(error, attempt, { offset }) });
    } catch (error) {
      if (error instanceof BadPageError) {
        throw new McError('MC_SOURCE_BAD_PAGE', `AnythingLLM kept serving a bad page ${offset} (${error.message}); the cursor was not moved — check the server's logs, then run again`, { cause: error, details: { offset } });
      }
      if (error instanceof RetryableError) {
        throw new McError('MC_SOURCE_UNAVAILABLE', `AnythingLLM at ${safeUrl(options.baseUrl)} is unavailable (${error.message}): is BASE_URL right, and is AnythingLLM running? The cursor was not moved — the next run will retry`, { cause: error, details: { offset } });
      }
      throw error;
    }
  };
}

// Redirects are not followed (a POST with an API key is not re-sent elsewhere unasked): say where BASE_URL should point.
function redirected(status: number, location: string | null, url: string): McError {
  const target = location === null || !URL.canParse(location, url) ? 'elsewhere' : `to ${safeUrl(new URL(location, url))}`;
  return new McError('MC_SOURCE_REJECTED', `AnythingLLM at ${safeUrl(url)} answered HTTP ${status}, redirecting ${target}; set BASE_URL to the address it redirects to (e.g. https:// instead of http://)`, { details: { status } });
}

function parsePage(offset: number, expectRows: boolean, reply: Reply, body: PageStream, url: string): RawPage {
  const { status } = reply;
  if (status === 401 || status === 403) {
    throw new McError('MC_SOURCE_AUTH', `AnythingLLM refused the API key (${status}); set API_KEY (or the api-key credential) to an admin API key from Settings → Developer API`, { details: { status } });
  }
  if (status === 404) {
    throw new McError('MC_SOURCE_NOT_FOUND', `AnythingLLM answered 404 for ${safeUrl(url)}; BASE_URL must be the server's root (e.g. http://host:3001), without /api`, { details: { status } });
  }
  if (isRetryableStatus(status)) throw new RetryableError(`HTTP ${status}`, parseRetryAfter(reply.headers.get('retry-after'), Date.now()));
  if (status < 200 || status >= 300) {
    throw new McError('MC_SOURCE_REJECTED', `AnythingLLM rejected the request for page ${offset} with HTTP ${status}; check BASE_URL and the server version`, { details: { status } });
  }
  const page = body.end();
  if (!page.ok && page.reason !== 'shape') {
    // AnythingLLM answers unknown paths with its web page (200, HTML): on page 0 that is most likely a wrong BASE_URL.
    const html = page.reason === 'html';
    const hint = html && offset === 0 ? '; if this persists, BASE_URL may point at the web UI or a proxy rather than the AnythingLLM server' : '';
    throw new BadPageError(`page ${offset} is not JSON (${html ? 'HTML' : 'truncated or garbled'}, ${page.bytes} bytes${hint})`);
  }
  if (!page.ok) throw new BadPageError(`page ${offset} lacks "chats" or "hasPages"`);
  const { records: chats, hasPages, bytes } = page;
  if (chats.length === 0 && expectRows) {
    throw new BadPageError(`page ${offset} is empty where rows were expected (AnythingLLM answers its own database errors with an empty page)`);
  }
  return { offset, records: chats, hasPages, bytes };
}
