const REDACTED = '[redacted]';

/** JSON string tokens of a serialized line: outside them, valid JSON holds no quote. */
const stringToken = /"(?:[^"\\]|\\.)*"/g;

/**
 * Returns a function that takes a secret out of every string value of one serialized JSON line (a pino line), for
 * secrets of any length. The forms looked for are each secret as given, trimmed, and percent-encoded (a secret put in
 * a URL); the longest is replaced first, so a secret that contains another is scrubbed whole.
 *
 * The line stays one valid JSON object with the same fields: secrets are replaced inside the *decoded* string values
 * (each JSON string token is parsed, scrubbed and serialized again), never in the line's text, where a short secret
 * could hit JSON syntax — `n` the `\n` escape, `"` a quote, `1` a number, `ve` the key `level`. Field names are the
 * program's own and are left as they are. A line none of whose tokens can hold a secret is returned unchanged
 * without being parsed: the test is the secret's JSON-escaped form in the raw line, which any string holding the
 * secret contains (JSON escapes character by character).
 *
 * The replacement is "[redacted]", unless a secret could meet it (a secret with `[` or `]`, or one inside the word):
 * then a marker made of characters no secret has, so that no replacement can form a secret with its neighbours and
 * no string value of the result contains one.
 */
export function createScrubber(secrets: readonly string[]): (line: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.trim() === '') continue;
    for (const raw of [secret, secret.trim(), encodeURIComponent(secret.trim())]) forms.add(raw);
  }
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (line) => line;
  const escaped = ordered.map((form) => JSON.stringify(form).slice(1, -1));
  const marker = markerFor(ordered);
  const scrubValue = (value: string): string => {
    let out = value;
    for (const form of ordered) if (out.includes(form)) out = out.split(form).join(marker);
    return out;
  };
  return (line) => {
    if (!escaped.some((form) => line.includes(form))) return line;
    return line.replace(stringToken, (token, offset: number) => {
      if (!escaped.some((form) => token.includes(form)) || isKey(line, offset + token.length)) return token;
      let value: unknown;
      try {
        value = JSON.parse(token);
      } catch {
        return token;
      }
      if (typeof value !== 'string') return token;
      const clean = scrubValue(value);
      return clean === value ? token : JSON.stringify(clean);
    });
  };
}

// A string token followed by a colon is a field name.
function isKey(line: string, end: number): boolean {
  let at = end;
  while (line[at] === ' ' || line[at] === '\t') at++;
  return line[at] === ':';
}

/**
 * The replacement for `forms`: "[redacted]" when no form contains its first or last character and none lies inside
 * it — then an occurrence of a form can neither overlap a replacement nor be one — else three of a character no form
 * contains (`*`, `#`, `~`, … or the first unused one above U+2580).
 */
function markerFor(forms: readonly string[]): string {
  const safe = (marker: string) => forms.every((form) => !form.includes(marker[0] as string) && !form.includes(marker.at(-1) as string) && !marker.includes(form));
  if (safe(REDACTED)) return REDACTED;
  for (const char of ['*', '#', '~', '%', '@', '|', '^']) if (safe(char.repeat(3))) return char.repeat(3);
  for (let code = 0x2580; ; code++) {
    const char = String.fromCodePoint(code);
    if (safe(char.repeat(3))) return char.repeat(3);
  }
}
