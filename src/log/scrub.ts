const REDACTED = '[redacted]';

/**
 * Returns a function that replaces every secret in one serialized JSON line by "[redacted]".
 * Inside a JSON line a secret appears JSON-escaped; a secret put in a URL appears percent-encoded:
 * both forms are replaced, longest first, so a secret that contains another is scrubbed whole.
 */
export function createScrubber(secrets: readonly string[]): (line: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.trim() === '') continue;
    for (const raw of [secret, secret.trim(), encodeURIComponent(secret.trim())]) {
      forms.add(JSON.stringify(raw).slice(1, -1));
    }
  }
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const form of ordered) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };
}
