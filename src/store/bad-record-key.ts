import { createHash } from 'node:crypto';
import type { BadRecord } from '../domain/page-record.js';
import { quarantineKey } from './keys.js';

/**
 * The quarantine key of a bad record (keys.ts quarantineKey): its id and 64 bits of SHA-256 of the record as served,
 * so the same bad record read again lands on the same key and is never kept twice.
 */
export function badRecordKey(record: Pick<BadRecord, 'id' | 'raw'>): string {
  const digest = createHash('sha256').update(JSON.stringify(record.raw) ?? String(record.raw)).digest('hex').slice(0, 16);
  return quarantineKey(record.id, digest);
}
