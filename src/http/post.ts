import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { RetryableError } from './retry.js';
import { safeUrl } from './safe-url.js';

/** Read access to a reply's headers; `get` takes any case and answers null for an absent header. */
export interface ReplyHeaders {
  get(name: string): string | null;
}

/** What came back from one POST: the status, the headers and the whole body as text ('' when a body sink took it). */
export interface Reply {
  readonly status: number;
  readonly headers: ReplyHeaders;
  readonly text: string;
}

/** One attempt's limits. */
export interface PostOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /**
   * How the URL is named in the errors' messages. @default safeUrl(url), with its path: the caller masks a URL whose
   * path may be a token (the webhook: safeOrigin), since the messages reach logs and the status file.
   */
  readonly shownAs?: string | undefined;
  /**
   * Where the body of a reply with this status goes instead of being kept as text: a streaming parse that lets each
   * chunk go once read (the source's pages: a page of attachments may hold a hundred megabytes). Undefined: kept.
   */
  readonly bodySink?: ((status: number) => ((chunk: Buffer) => void) | undefined) | undefined;
}

// One keep-alive pool per protocol, shared by every call. Idle sockets are unref'd by the agent (they never hold the
// process open) and honour the server's `Keep-Alive: timeout=` hint.
const agentOptions = { keepAlive: true, maxSockets: 16 };
const httpAgent = new HttpAgent(agentOptions);
const httpsAgent = new HttpsAgent(agentOptions);

/**
 * POSTs `body` once and reads the whole reply. Network errors, resets, timeouts and a body cut short become
 * RetryableErrors, named `POST <options.shownAs>: …`; an abort of `signal` is rethrown as is; a URL that is not
 * http(s) rejects with a TypeError.
 */
export function post(url: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<Reply> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const target = parsed(url);
  if (target?.protocol !== 'http:' && target?.protocol !== 'https:') {
    // A caller's bug (loadConfig lets only http:// and https:// through), not a network fault to retry.
    return Promise.reject(new TypeError(`post needs an http:// or https:// URL, not ${target === undefined ? 'an unparseable one' : target.protocol}`));
  }
  return new Promise<Reply>((resolve, reject) => {
    let req: ClientRequest | undefined;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;

    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const rejectWith = (error: unknown): void => {
      if (!finish()) return;
      req?.destroy();
      reject(error);
    };
    // The URL is named only when the POST fails: a POST that succeeds parses it once.
    const fail = (what: string, cause: unknown): void => rejectWith(new RetryableError(`POST ${options.shownAs ?? safeUrl(target)}: ${what}`, undefined, { cause }));
    const failNetwork = (error: unknown): void => fail(describeNetworkError(error), error);
    function onAbort(): void {
      rejectWith(signal!.reason);
    }

    const https = target.protocol === 'https:';
    const bytes = Buffer.from(body); // encoded once: its length is the header, and it is what is sent
    const requestOptions = {
      method: 'POST',
      agent: https ? httpsAgent : httpAgent,
      headers: { ...headers, 'content-length': String(bytes.length) },
    };

    timer = setTimeout(() => {
      const what = `no reply within ${timeoutMs} ms`;
      fail(what, Object.assign(new Error(what), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    try {
      req = https ? httpsRequest(target, requestOptions) : httpRequest(target, requestOptions);
    } catch (error) {
      return failNetwork(error);
    }
    // These listeners stay for the request's life: a late 'error' (e.g. after our own destroy) must find one.
    req.on('error', failNetwork);
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      const sink = options.bodySink?.(res.statusCode ?? 0);
      res.on('data', sink ?? ((chunk: Buffer) => void chunks.push(chunk)));
      res.on('error', failNetwork);
      res.on('end', () => {
        // Node destroys an incomplete reply with 'aborted' (ECONNRESET); `complete` guards any other early end.
        if (!res.complete) return failNetwork(cutShort());
        if (!finish()) return;
        resolve({ status: res.statusCode ?? 0, headers: replyHeaders(res.headers), text: decodeUtf8(Buffer.concat(chunks)) });
      });
      res.on('close', () => settled || failNetwork(cutShort()));
    });
    req.end(bytes);
  });
}

/** The error Node itself gives a reply whose connection closed before its end. */
function cutShort(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

function replyHeaders(raw: IncomingHttpHeaders): ReplyHeaders {
  return {
    get(name) {
      const value = raw[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/** UTF-8 text without a leading byte order mark, as fetch's `text()` gave it. */
function decodeUtf8(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The error's code (ECONNRESET, ECONNREFUSED, …), the first code inside an AggregateError, or its message. */
function describeNetworkError(error: unknown): string {
  const { code, message, errors } = (error ?? {}) as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  if (Array.isArray(errors)) {
    const inner = (errors as { code?: unknown }[]).find((e) => typeof e?.code === 'string');
    if (inner) return inner.code as string;
  }
  return typeof message === 'string' ? message : String(error);
}

// The URL, or undefined when it cannot be parsed.
function parsed(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
