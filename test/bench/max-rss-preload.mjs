// Preloaded (node --import) when /usr/bin/time is missing: writes the process's peak RSS in KiB at exit.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, `${process.resourceUsage().maxRSS}\n`));
