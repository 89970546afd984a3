/** A URL fit for a log line or an error message: no credentials, no query, no fragment. */
export function safeUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * What a log line, an error message or the status file may show of a URL whose path or query may be a token (the
 * webhook of n8n or Zapier, a healthcheck ping URL): its origin and `/…`, nothing of the path.
 */
export function safeOrigin(url: string | URL): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '(unparsable URL)';
  }
}
