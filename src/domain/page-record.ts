import type { Turn } from './turn.js';

/** A record the source could not read as a turn, kept as served for the quarantine (DESIGN §1). */
export interface BadRecord {
  readonly kind: 'bad';
  /** The record's id when it has a usable one, else null. */
  readonly id: number | null;
  readonly reason: string;
  /** The record as the source served it. */
  readonly raw: unknown;
}

/** One record of a page after validation: a turn, or a bad record. */
export type PageRecord = { readonly kind: 'turn'; readonly turn: Turn } | BadRecord;
