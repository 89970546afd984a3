// Finds text in every file of a folder as LevelDB stores it: the raw bytes, the write-ahead log's and MANIFEST's
// records put back together (a record cut across two 32 KiB log blocks is split by a 7-byte header), and every block
// of every table file decompressed (LevelDB snappy-compresses table blocks, so compressed text never shows raw).
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import snappy from 'snappyjs';

/** One place the pattern was found. */
export interface Finding {
  /** What matched. */
  readonly match: string;
  /** The file, relative to the scanned folder. */
  readonly file: string;
  /** `raw` bytes, a reassembled `log record`, or a decompressed table `block` (its offset). */
  readonly where: string;
}

/** What a scan looked at, to show that it read the tables rather than skipping them. */
export interface ScanReport {
  readonly findings: Finding[];
  readonly files: number;
  readonly tableBlocks: number;
  readonly compressedBlocks: number;
  readonly logRecords: number;
}

/** Scans every file under `dir` for `pattern` (ASCII, global): raw, log records reassembled, table blocks decompressed. */
export async function scanForText(dir: string, pattern: RegExp): Promise<ScanReport> {
  const found = (file: string, where: string, bytes: Buffer) => {
    for (const [match] of bytes.toString('latin1').matchAll(pattern)) report.findings.push({ file, where, match });
  };
  const report = { findings: [] as Finding[], files: 0, tableBlocks: 0, compressedBlocks: 0, logRecords: 0 };
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const file = relative(dir, path);
    const bytes = await readFile(path);
    report.files++;
    found(file, 'raw', bytes);
    if (/\.(ldb|sst)$/.test(entry.name)) {
      for (const block of tableBlocks(bytes)) {
        report.tableBlocks++;
        if (block.compressed) report.compressedBlocks++;
        found(file, `block at ${block.offset}${block.compressed ? ' (snappy)' : ''}`, block.contents);
      }
    }
    if (/^(\d+\.log|MANIFEST-\d+)$/.test(entry.name)) {
      for (const record of logRecords(bytes)) {
        report.logRecords++;
        found(file, 'log record', record);
      }
    }
  }
  return report;
}

interface TableBlock {
  readonly offset: number;
  readonly compressed: boolean;
  readonly contents: Buffer;
}

const footerLength = 48;
const tableMagic = 0xdb4775248b80fb57n;

/** Every block a LevelDB table file points at (index, meta index and data blocks), decompressed. */
export function tableBlocks(bytes: Buffer): TableBlock[] {
  if (bytes.length < footerLength || bytes.readBigUInt64LE(bytes.length - 8) !== tableMagic) throw new Error('not a LevelDB table (no magic in its footer)');
  const footer = new Reader(bytes, bytes.length - footerLength);
  const metaIndex = footer.handle();
  const index = footer.handle();
  const blocks = [readBlock(bytes, metaIndex), readBlock(bytes, index)];
  for (const block of blocks.slice()) {
    for (const value of blockValues(block.contents)) blocks.push(readBlock(bytes, new Reader(value, 0).handle()));
  }
  return blocks;
}

function readBlock(bytes: Buffer, { offset, size }: { offset: number; size: number }): TableBlock {
  const stored = bytes.subarray(offset, offset + size);
  const type = bytes[offset + size];
  if (type === 0) return { offset, compressed: false, contents: stored };
  if (type === 1) return { offset, compressed: true, contents: Buffer.from(snappy.uncompress(stored)) };
  throw new Error(`block at ${offset} has unknown compression type ${type}`);
}

// The values of a block's entries (shared key length, unshared key length, value length, key delta, value), up to
// its restart array.
function blockValues(block: Buffer): Buffer[] {
  const restarts = block.readUInt32LE(block.length - 4);
  const end = block.length - 4 - 4 * restarts;
  const reader = new Reader(block, 0);
  const values: Buffer[] = [];
  while (reader.at < end) {
    reader.varint();
    const unshared = reader.varint();
    const valueLength = reader.varint();
    reader.at += unshared;
    values.push(block.subarray(reader.at, reader.at + valueLength));
    reader.at += valueLength;
  }
  return values;
}

const logBlockSize = 32_768;
const logHeaderLength = 7;

/** The records of a LevelDB log file (the write-ahead log, a MANIFEST), fragments joined. */
export function logRecords(bytes: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let pending: Buffer[] = [];
  for (let block = 0; block < bytes.length; block += logBlockSize) {
    let at = block;
    const blockEnd = Math.min(block + logBlockSize, bytes.length);
    while (at + logHeaderLength <= blockEnd) {
      const length = bytes.readUInt16LE(at + 4);
      const type = bytes[at + 6];
      const data = bytes.subarray(at + logHeaderLength, Math.min(at + logHeaderLength + length, blockEnd));
      at += logHeaderLength + length;
      if (type === 0 && length === 0) break; // zero padding: the rest of the block is empty
      if (type === 1) records.push(data);
      else if (type === 2) pending = [data];
      else if (type === 3) pending.push(data);
      else if (type === 4) {
        records.push(Buffer.concat([...pending, data]));
        pending = [];
      }
    }
  }
  if (pending.length > 0) records.push(Buffer.concat(pending)); // a record the log ends in the middle of
  return records;
}

class Reader {
  constructor(
    private readonly bytes: Buffer,
    public at: number,
  ) {}

  varint(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.bytes[this.at++];
      if (byte === undefined) throw new Error('varint runs past the end');
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
  }

  handle(): { offset: number; size: number } {
    return { offset: this.varint(), size: this.varint() };
  }
}
