import { RetryableError } from './retry.js';
import { safeUrl } from './response-class.js';

/** What came back from one POST: the status, the headers and the whole body as text. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** One attempt's limits. */
export interface PostOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * POSTs `body` once and reads the whole reply. Network errors, resets, timeouts and a body cut short become
 * RetryableErrors; an abort of `signal` is rethrown as is.
 */
export async function post(url: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<Reply> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  try {
    const response = await fetch(url, { method: 'POST', body, headers, signal });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    const what = timeout.aborted ? `no reply within ${options.timeoutMs} ms` : describeNetworkError(error);
    throw new RetryableError(`POST ${safeUrl(url)}: ${what}`, undefined, { cause: error });
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
