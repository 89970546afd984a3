import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { McError } from '../errors.js';
import { refuseSetting } from './refuse-setting.js';

/** Static headers sent with every webhook request, by name as the file spells it. */
export type WebhookHeaders = Readonly<Record<string, string>>;

/** Where the header file may come from, most important first (DESIGN §3 "Reaching the receiver", §5). */
export interface HeaderFileSources {
  /** `--webhook-headers-file`. */
  readonly flag?: string | undefined;
}

// What the job sets itself, or what only the connection may set: a header file naming one is refused.
const reserved = new Set(['content-type', 'content-length', 'transfer-encoding', 'host', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-authorization', 'proxy-connection', 'idempotency-key', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);
// RFC 9110 §5.6.2: a header name is a token.
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// RFC 9110 §5.5: visible characters, spaces and tabs; never CR, LF or NUL.
const fieldValue = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The webhook's static headers (`Name: value` lines; blank lines and `#` comments skipped; CRLF files read as LF) from
 * `--webhook-headers-file` > `WEBHOOK_HEADERS_FILE` > `$CREDENTIALS_DIRECTORY/webhook-headers` (an explicitly named
 * file wins over the ambient credential, as STATE_KEY_FILE does); {} when none is set. Each line is checked before
 * anything is sent: a valid header name, a value without CR, LF or other control characters, not empty, no name twice,
 * and none of the headers the job sets (Content-Type, Idempotency-Key, the Standard Webhooks trio) or the connection
 * owns (Host, Content-Length, …). A bad line is one MC_CONFIG line naming the file and the line number, never a value.
 */
export function webhookHeaders(sources: HeaderFileSources, env: NodeJS.ProcessEnv): WebhookHeaders {
  const named = sources.flag ?? nonEmpty(env['WEBHOOK_HEADERS_FILE']);
  if (named !== undefined) {
    const source = `${sources.flag === undefined ? 'WEBHOOK_HEADERS_FILE' : '--webhook-headers-file'} ${named}`;
    return parseHeaderLines(readFile(named, source, false) ?? '', source);
  }
  const credentials = nonEmpty(env['CREDENTIALS_DIRECTORY']);
  if (credentials === undefined) return {};
  const path = join(credentials, 'webhook-headers');
  const text = readFile(path, `the webhook-headers credential (${path})`, true);
  return text === undefined ? {} : parseHeaderLines(text, `the webhook-headers credential (${path})`);
}

/** Parses header lines as webhookHeaders describes; `source` names the file in the errors. */
export function parseHeaderLines(text: string, source: string): WebhookHeaders {
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const where = `${source} line ${index + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) refuseSetting(`${where} is not a "Name: value" header (e.g. Authorization: Bearer …); fix the line`);
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!token.test(name)) refuseSetting(`${where}: the header name is not a valid HTTP header name (letters, digits and !#$%&'*+.^_\`|~-, no spaces); fix the line`);
    const lower = name.toLowerCase();
    if (reserved.has(lower)) refuseSetting(`${where}: ${name} is set by memory-cron itself (the signature, the Idempotency-Key, the body's type) or by the connection; remove the line`);
    if (seen.has(lower)) refuseSetting(`${where}: ${name} is given twice; keep one line`);
    if (value.includes('\r')) refuseSetting(`${where}: the value of ${name} holds a carriage return (CR); a header value is one line`);
    if (!fieldValue.test(value)) refuseSetting(`${where}: the value of ${name} holds a control character; a header value is visible characters, spaces and tabs`);
    if (value === '') refuseSetting(`${where}: ${name} has no value; give it one or remove the line`);
    seen.add(lower);
    headers[name] = value;
  });
  return headers;
}

/**
 * What a logger must scrub for the headers (every value is taken to be a secret): each value, its credentials after an
 * auth scheme (`Bearer <token>`, `Basic <base64>`), and a Basic value's decoded `user:password`.
 */
export function headerSecrets(headers: WebhookHeaders): string[] {
  return Object.values(headers).flatMap((value) => {
    const scheme = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)[ \t]+(\S.*)$/.exec(value);
    if (scheme === null) return [value];
    const credentials = scheme[2] as string;
    const decoded = scheme[1]?.toLowerCase() === 'basic' ? Buffer.from(credentials, 'base64').toString('utf8') : undefined;
    return [value, credentials, ...(decoded !== undefined && decoded.includes(':') ? [decoded] : [])];
  });
}

function readFile(path: string, named: string, optional: boolean): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (optional && code === 'ENOENT') return undefined;
    throw new McError('MC_CONFIG', `cannot read ${named} (${code ?? 'unreadable'}); check the path and its permissions`, { cause: error });
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
