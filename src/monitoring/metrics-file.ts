import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const lastSuccess = /^memory_cron_last_success_timestamp_seconds(?:\{[^}]*\})? ([0-9.e+]+)$/m;

/**
 * Rewrites the metrics file atomically: a temporary file beside it, then a rename, so node_exporter never reads half
 * a file. Mode 0644 whatever the umask: node_exporter runs as another user. The temporary name starts with a dot and
 * does not end in `.prom`, so the textfile collector never reads it.
 */
export async function writeMetricsFile(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await chmod(tmp, 0o644);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The last success (unix seconds) an earlier run wrote into the metrics file, or undefined (no file, none there). */
export async function lastSuccessInFile(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const value = Number(lastSuccess.exec(text)?.[1]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
