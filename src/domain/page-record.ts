import type { Turn } from './turn.js';

/** A record the source could not read as a turn, kept as served for the quarantine (DESIGN §1). */
export interface BadRecord {
  readonly kind: 'bad';
  /** The record's id when it has a usable one (a non-negative integer), else null. */
  readonly id: number | null;
  /** Its `createdAt` in ms since the epoch when readable, else null: paging's scope and last-page rules count it. */
  readonly createdAt: number | null;
  readonly reason: string;
  /** The record as the source served it. */
  readonly raw: unknown;
}

/** One record of a page after validation: a turn, or a bad record. */
export type PageRecord = { readonly kind: 'turn'; readonly turn: Turn } | BadRecord;

/** Chat ids strictly between `below` and `above`: two rows one page served side by side. */
export interface IdGap {
  readonly above: number;
  readonly below: number;
}
