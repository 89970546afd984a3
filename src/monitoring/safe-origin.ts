/** What a log line may show of a URL that carries a token in its path or query: its origin only. */
export function safeOrigin(url: URL): string {
  return `${url.origin}/…`;
}
