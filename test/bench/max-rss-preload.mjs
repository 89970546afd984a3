// Preloaded (node --import) into every measured child. BENCH_MAX_RSS_FILE (when /usr/bin/time is missing): the
// process's peak RSS in KiB at exit. BENCH_ANON_FILE: the peak of RssAnon (/proc/self/status, sampled every 50 ms),
// i.e. RSS without the file-backed pages LevelDB maps, which the kernel can drop under pressure.
import { readFileSync, writeFileSync } from 'node:fs';

const rssFile = process.env.BENCH_MAX_RSS_FILE;
const anonFile = process.env.BENCH_ANON_FILE;
let peakAnonKb = 0;
const sample = () => {
  const match = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (match) peakAnonKb = Math.max(peakAnonKb, Number(match[1]));
};
if (anonFile) setInterval(sample, 50).unref();
process.on('exit', () => {
  if (rssFile) writeFileSync(rssFile, `${process.resourceUsage().maxRSS}\n`);
  if (anonFile) {
    sample();
    writeFileSync(anonFile, `${peakAnonKb}\n`);
  }
});
