// src/log/scrub.ts under fast-check: for secrets of any length — down to one character, made of what JSON is made
// of (`n` of the `\n` escape, `"`, `\`, `{`, `:`, digits, the letters of `true` and of "[redacted]") — every scrubbed
// line is one valid JSON object with the same fields, no string value holds a secret, and nothing else changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { createScrubber } from '../src/log/scrub.js';

const alphabet = ['n', '"', '\\', '{', '}', ':', ',', '[', ']', 'u', '0', '1', 'e', 't', 'r', 'd', 'a', 'c', ' ', '/', '%', '2', '*', '#', '~', 'é', '\u2028', '\n', '\t', 'x'];
const char = fc.constantFrom(...alphabet);
const secretOf = (maxLength: number) => fc.array(char, { minLength: 1, maxLength }).map((chars) => chars.join('')).filter((secret) => secret.trim() !== '');
/** Text rich in the secrets' characters, so that secrets occur in it, whole and in part. */
const text = fc.array(fc.oneof(char, char, fc.string({ maxLength: 3 })), { maxLength: 24 }).map((parts) => parts.join(''));
const key = text.map((name) => `k${name}`);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, text, text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
}));
const logObject = fc.dictionary(key, value, { maxKeys: 6 });

/** The forms the scrubber takes out of string values: the secret, trimmed, and percent-encoded. */
const formsOf = (secret: string) => [secret, secret.trim(), encodeURIComponent(secret.trim())];

/** Strings become `S`, everything else stays: the fields and non-string values a line must keep. */
function shape(node: unknown): unknown {
  if (typeof node === 'string') return 'S';
  if (Array.isArray(node)) return node.map(shape);
  if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([name, inner]) => [name, shape(inner)]));
  return node;
}

/** Every string value (not field names), with its path. */
function* strings(node: unknown, path = '$'): Generator<[string, string]> {
  if (typeof node === 'string') yield [path, node];
  else if (Array.isArray(node)) for (const [index, inner] of node.entries()) yield* strings(inner, `${path}[${index}]`);
  else if (node !== null && typeof node === 'object') for (const [name, inner] of Object.entries(node)) yield* strings(inner, `${path}.${JSON.stringify(name)}`);
}

/** pino's own serialization of one line (its string escaping, its field order), as the logger writes it. */
function pinoLine(object: Record<string, unknown>, msg: string): string {
  let line = '';
  const logger = pino({ level: 'trace', base: { pid: 1, hostname: 'h' }, timestamp: pino.stdTimeFunctions.isoTime }, { write: (written: string) => void (line = written) });
  logger.info(object, msg);
  return line;
}

function assertScrubbed(line: string, secrets: readonly string[]): void {
  const scrubbed = createScrubber(secrets)(line);
  let parsed: unknown;
  assert.doesNotThrow(() => (parsed = JSON.parse(scrubbed)), `not JSON: ${scrubbed}`);
  assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), 'one JSON object');
  assert.equal(scrubbed.endsWith('\n'), line.endsWith('\n'), 'still one line');
  assert.ok(!scrubbed.slice(0, -1).includes('\n'), 'no raw newline inside the line');
  const original = JSON.parse(line) as unknown;
  assert.deepEqual(shape(parsed), shape(original), 'the same fields and non-string values');
  const before = new Map(strings(original));
  for (const [path, value] of strings(parsed)) {
    for (const secret of secrets) for (const form of formsOf(secret)) assert.ok(!value.includes(form), `${path} = ${JSON.stringify(value)} holds the secret ${JSON.stringify(secret)}`);
    const was = before.get(path) ?? '';
    if (!secrets.some((secret) => formsOf(secret).some((form) => was.includes(form)))) assert.equal(value, was, `${path} held no secret and is unchanged`);
  }
}

describe('scrubbing secrets of any length keeps every line one valid JSON object without them', () => {
  it('secrets of 1–3 characters, in lines pino writes and in lines JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.array(secretOf(3), { minLength: 1, maxLength: 2 }), logObject, text, (secrets, object, msg) => {
        assertScrubbed(pinoLine(object, msg), secrets);
        assertScrubbed(`${JSON.stringify({ level: 30, msg, ...object })}\n`, secrets);
      }),
      { numRuns: 3000 },
    );
  });

  it('secrets of 1–12 characters, together with a long one', () => {
    fc.assert(
      fc.property(fc.array(secretOf(12), { minLength: 1, maxLength: 3 }), logObject, text, (secrets, object, msg) => {
        assertScrubbed(pinoLine(object, msg), [...secrets, 'sk-live-0123456789abcdef']);
      }),
      { numRuns: 1500 },
    );
  });

  it('examples: JSON syntax and escapes are never hit, and the replacement is "[redacted]" unless a secret could meet it', () => {
    const line = `${JSON.stringify({ level: 30, time: '2026-11-24T09:00:00.000Z', pages: 1234, ok: true, msg: 'run\nfinished: 1234 "done"', stack: 'Error: x\n    at y' })}\n`;
    const byN = JSON.parse(createScrubber(['n'])(line));
    assert.deepEqual([byN.msg, byN.stack, byN.level], ['ru[redacted]\nfi[redacted]ished: 1234 "do[redacted]e"', 'Error: x\n    at y', 30], 'the newline escape is not an n');
    const several = JSON.parse(createScrubber(['1234', 'true', '"'])(line));
    assert.deepEqual([several.pages, several.ok, several.msg], [1234, true, 'run\nfinished: [redacted] [redacted]done[redacted]'], 'numbers and literals are not string values');
    assert.equal(JSON.parse(createScrubber(['ed'])(line)).msg, 'run\nfinish***: 1234 "done"', '"[redacted]" holds "ed": another marker');
    assert.equal(createScrubber(['zz'])(line), line, 'a line without the secret is returned as it came');
  });
});
