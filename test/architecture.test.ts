// The shape of the code (DESIGN "Architecture"), read from its imports: each folder one concern, data flowing one
// way, and the state reached only through State's typed methods — so a shortcut taken next month (a sublevel read
// from delivery/, a body built in store/, an import cycle) fails here, not in review.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src', import.meta.url));

/** Every module of src/, as a path relative to src/ (`store/state.ts`), with what it imports. */
function modules(): Map<string, { readonly ours: string[]; readonly packages: string[] }> {
  const found = new Map<string, { ours: string[]; packages: string[] }>();
  for (const name of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!name.endsWith('.ts')) continue;
    const path = name.split('\\').join('/');
    const text = readFileSync(join(src, name), 'utf8');
    const specifiers = [...text.matchAll(/^(?:import|export)\b[^'";]*?from\s+'([^']+)'/gm), ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((match) => match[1]!);
    const ours = specifiers.filter((spec) => spec.startsWith('.')).map((spec) => posix.normalize(posix.join(posix.dirname(path), spec)).replace(/\.js$/, '.ts'));
    const packages = specifiers.filter((spec) => !spec.startsWith('.') && !spec.startsWith('node:'));
    found.set(path, { ours, packages });
  }
  return found;
}

/** The folder of a module (`store`), or `.` for a top-level file. */
function folderOf(path: string): string {
  const dir = dirname(path);
  return dir === '.' ? '.' : (dir.split('/')[0] as string);
}

const graph = modules();
const imports = (from: (path: string) => boolean) => [...graph].filter(([path]) => from(path)).flatMap(([path, { ours }]) => ours.map((to) => ({ from: path, to })));
const inFolder = (...folders: string[]) => (path: string) => folders.includes(folderOf(path));
const show = (edges: { from: string; to: string }[]) => edges.map(({ from, to }) => `${from} → ${to}`);

describe('the shape of the code (DESIGN "Architecture")', () => {
  it('reads every module of src/ and its imports', () => {
    assert.ok(graph.size > 100, `found ${graph.size} modules`);
    assert.ok(graph.get('store/state.ts')?.packages.includes('level'), 'store/state.ts opens LevelDB');
  });

  it('no sublevel, key or iterator leaves store/: other folders import only State and the record types from it', () => {
    const public_ = new Set(['store/state.ts', 'store/records.ts']);
    assert.deepEqual(show(imports((path) => folderOf(path) !== 'store').filter(({ to }) => folderOf(to) === 'store' && !public_.has(to))), []);
  });

  it('LevelDB is opened by store/ alone (and by statedir/\'s lock probe, which only opens and closes it)', () => {
    const opening = [...graph].filter(([, { packages }]) => packages.some((name) => name === 'level' || name === 'classic-level' || name === 'abstract-level')).map(([path]) => path);
    assert.deepEqual(opening.filter((path) => !['store', 'statedir'].includes(folderOf(path))), []);
    assert.deepEqual(opening.filter((path) => folderOf(path) === 'statedir'), ['statedir/lock-probe.ts']);
  });

  it('store/ stores and reads: it builds no body, reads no page and applies no night rule', () => {
    const rules = ['conversations', 'delivery', 'source', 'staging', 'retractions', 'job', 'status', 'commands', 'monitoring', 'http'];
    assert.deepEqual(show(imports(inFolder('store')).filter(({ to }) => rules.includes(folderOf(to)))), []);
  });

  it('the folder around the state (statedir/) knows nothing of what is stored in it', () => {
    assert.deepEqual(show(imports(inFolder('statedir')).filter(({ to }) => !['statedir', 'domain'].includes(folderOf(to)) && to !== 'errors.ts')), []);
  });

  it('the state and status folders import no source/, conversations/ or delivery/ (one-way flow)', () => {
    assert.deepEqual(show(imports(inFolder('store', 'statedir', 'staging', 'status')).filter(({ to }) => ['source', 'conversations', 'delivery'].includes(folderOf(to)))), []);
  });

  it('staging/ decides what a page means from the page and the state alone', () => {
    assert.deepEqual(show(imports(inFolder('staging')).filter(({ to }) => !['staging', 'domain', 'store'].includes(folderOf(to)) && to !== 'errors.ts')), []);
  });

  it('domain/ imports nothing of ours but itself', () => {
    assert.deepEqual(show(imports(inFolder('domain')).filter(({ to }) => folderOf(to) !== 'domain')), []);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (path: string, trail: string[]): void => {
      if (state.get(path) === 'done') return;
      if (state.get(path) === 'open') return void cycles.push([...trail.slice(trail.indexOf(path)), path].join(' → '));
      state.set(path, 'open');
      for (const next of graph.get(path)?.ours ?? []) walk(next, [...trail, path]);
      state.set(path, 'done');
    };
    for (const path of graph.keys()) walk(path, []);
    assert.deepEqual(cycles, []);
  });

  it('every import of ours names a module that exists', () => {
    const missing = [...graph].flatMap(([path, { ours }]) => ours.filter((to) => !graph.has(to)).map((to) => `${path} → ${to}`));
    assert.deepEqual(missing, [], relative(process.cwd(), src));
  });
});
