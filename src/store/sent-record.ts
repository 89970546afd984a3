import type { SentRecord } from './records.js';
import type { StateLevels } from './levels.js';

/** The record of sent conversation `id` (its history, time range, head), or undefined while it is not sent. */
export async function sentRecord(state: StateLevels, id: string): Promise<SentRecord | undefined> {
  return state.sent.get(id);
}
