import type { QuarantineRecord } from './records.js';
import type { StateLevels } from './levels.js';

/** Every record in the quarantine (DESIGN §4 "Bad records"), in key order: by chat id, records without one last. */
export async function quarantinedRecords(state: StateLevels): Promise<QuarantineRecord[]> {
  return state.quarantine.values().all();
}
