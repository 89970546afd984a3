// The README and docs/ stay true to the code: every relative link resolves (file and heading), and the README's
// settings table lists exactly the settings src/config.ts reads — found in the code, not in a list kept here, so a
// setting added to the code without its row (or a row left behind by a removed one) fails this test.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(repo, path), 'utf8');
const pages = ['README.md', 'CHANGELOG.md', ...readdirSync(join(repo, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** Markdown without its fenced code blocks (a link-like text in a shell example is no link). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  return new Set([...prose(markdown).matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1]!)));
}

/** Every file under `dir` (relative to the repository). */
function filesUnder(dir: string): string[] {
  return readdirSync(join(repo, dir), { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name)).filter((path) => statSync(join(repo, path)).isFile());
}

/**
 * The environment settings the configuration reads: `env['NAME']`, `env.NAME` and `envName: 'NAME'` in
 * src/config.ts and src/config/. A new setting read another way must be added to these patterns.
 */
function settingsInCode(): Set<string> {
  const sources = ['src/config.ts', ...filesUnder('src/config').filter((path) => path.endsWith('.ts'))];
  const names = new Set<string>();
  for (const path of sources) {
    const code = read(path);
    for (const pattern of [/\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g, /\benv\.([A-Z][A-Z0-9_]*)\b/g, /\benvName: ['"]([A-Z][A-Z0-9_]*)['"]/g]) {
      for (const match of code.matchAll(pattern)) names.add(match[1]!);
    }
  }
  return names;
}

/** The flags a Config is built from: the fields of `ConfigFlags` in src/config.ts, as typed on the command line. */
function flagsInCode(): Set<string> {
  const body = /export interface ConfigFlags \{([\s\S]*?)\n\}/.exec(read('src/config.ts'))?.[1] ?? '';
  const fields = [...body.matchAll(/^\s+readonly (\w+)\?:/gm)].map((match) => match[1]!);
  return new Set(fields.map((field) => `--${field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`));
}

/** The README's settings table: each row's setting (or undefined for a flag-only row) and flag. */
function settingsTable(): { setting: string | undefined; flag: string | undefined }[] {
  const section = /^## Configuration\n([\s\S]*?)^## /m.exec(read('README.md'))?.[1] ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| setting') && !line.startsWith('|---'));
  return rows.map((line) => {
    const [setting = '', flag = ''] = line.split('|').slice(1).map((cell) => cell.trim());
    const code = (cell: string) => /^`([^`]+)`$/.exec(cell)?.[1];
    return { setting: code(setting), flag: code(flag) };
  });
}

describe('documentation', () => {
  it('every relative link in the README, the CHANGELOG and docs/ resolves, to a file and, with #, to a heading there', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const match of prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? page : relative(repo, join(repo, dirname(page), path));
        if (!existsSync(join(repo, file))) broken.push(`${page}: ${target} (no ${file})`);
        else if (anchor !== undefined && file.endsWith('.md') && !anchors(read(file)).has(anchor)) broken.push(`${page}: ${target} (no heading #${anchor} in ${file})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  /** The table's column (`setting` or `flag`) holds exactly what the code reads: nothing missing, nothing extra. */
  function assertTableMatches(column: 'setting' | 'flag', inCode: Set<string>, known: readonly string[]): void {
    assert.ok(known.every((name) => inCode.has(name)), `the ${column}s were found in the code: ${[...inCode].join(', ')}`);
    const listed = new Set(settingsTable().flatMap((row) => (row[column] === undefined ? [] : [row[column]])));
    assert.deepEqual([...inCode].filter((name) => !listed.has(name)).sort(), [], `${column}s the code reads without a row in the README`);
    assert.deepEqual([...listed].filter((name) => !inCode.has(name)).sort(), [], `rows for ${column}s the code does not read`);
  }

  it("the README's settings table lists every setting the configuration reads, and nothing else", () => {
    assertTableMatches('setting', settingsInCode(), ['BASE_URL', 'STATE_DIR']);
  });

  it("the README's settings table gives every flag a Config is built from, and no other", () => {
    assertTableMatches('flag', flagsInCode(), ['--base-url', '--dry-run']);
  });

  it('the README lists every stable error code of src/errors.ts, and is a front door of at most 260 lines', () => {
    const readme = read('README.md');
    const codes = [...read('src/errors.ts').matchAll(/^ {2}(MC_[A-Z_]+): /gm)].map((match) => match[1]!);
    assert.ok(codes.length >= 20, 'the codes were found');
    const section = /^## Error codes\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
    const listed = [...section.matchAll(/^\| `(MC_[A-Z_]+)` \|/gm)].map((match) => match[1]!);
    assert.deepEqual([...listed].sort(), [...codes].sort());
    assert.ok(readme.split('\n').length <= 260, `README.md has ${readme.split('\n').length} lines`);
  });

  it('no page speaks of issues or rounds: docs describe the software as it is', () => {
    const found = pages.filter((page) => page !== 'CHANGELOG.md').flatMap((page) => [...read(page).matchAll(/.{0,30}\b(issue \d+|previous round|this round)\b.{0,30}/gi)].map((match) => `${page}: ${match[0]}`));
    assert.deepEqual(found, []);
  });
});
