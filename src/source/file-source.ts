import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { McError } from '../errors.js';
import type { RawPage, ReadRawPage } from './page.js';
import { slimRecord } from './response-parts.js';

const pageSize = 20;

/** A ReadRawPage over an NDJSON file of chat records (`--source file:PATH`); pages must be read in order. */
export function filePageReader(path: string): ReadRawPage {
  let lines: AsyncIterator<string> | undefined;
  let nextOffset = 0;
  return async (offset) => {
    if (offset !== nextOffset) throw new TypeError(`file pages are read in order: asked for ${offset}, next is ${nextOffset}`);
    nextOffset++;
    lines ??= openLines(path);
    const records: unknown[] = [];
    let bytes = 0;
    let done = false;
    while (records.length < pageSize) {
      const line = await lines.next().catch((error: unknown) => {
        throw new McError('MC_CONFIG', `cannot read --source file ${path} (${(error as Error).message}); check the path`, { cause: error });
      });
      if (line.done) {
        done = true;
        break;
      }
      bytes += line.value.length + 1;
      if (line.value.trim() !== '') records.push(parseLine(line.value));
    }
    return { offset, records, hasPages: !done, bytes } satisfies RawPage;
  };
}

function openLines(path: string): AsyncIterator<string> {
  return createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })[Symbol.asyncIterator]();
}

// A line that is not JSON is kept as text: it becomes a quarantined record, not a failed run. A record is slimmed at
// once (slimRecord): an attachment's content never outlives its line.
function parseLine(line: string): unknown {
  try {
    return slimRecord(JSON.parse(line));
  } catch {
    return line;
  }
}
