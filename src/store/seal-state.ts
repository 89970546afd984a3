import { McError } from '../errors.js';
import { codesOf } from '../statedir/state-error.js';
import type { StateLevels } from './levels.js';
import { Sealer, sealedKinds, type SealingRecord } from './sealing.js';

/**
 * Switches sealing on for an open state (docs/security.md). A sealed state needs its key: none, or
 * another, is MC_STATE_KEY (exit 7), never an empty night. A state not sealed yet, opened with a key, is sealed
 * in place: its text values re-written sealed in one batch, the plain copies purged.
 */
export async function setUpSealing(state: StateLevels, stateKey: string | undefined): Promise<void> {
  const { db, meta, stateDir } = state;
  const record = (await meta.get('sealing')) as SealingRecord | undefined;
  if (record === undefined) {
    if (stateKey !== undefined) await resealAll(state, Sealer.fresh(stateKey));
    return;
  }
  if (stateKey === undefined) {
    throw new McError('MC_STATE_KEY', `state in ${stateDir} is sealed with a state key and none was given; give it as the state-key credential ($CREDENTIALS_DIRECTORY/state-key) or in the file STATE_KEY_FILE names — nothing was read`);
  }
  const sealer = Sealer.forRecord(stateKey, record);
  if (sealer === undefined) {
    throw new McError('MC_STATE_KEY', `state in ${stateDir} is sealed with another state key than the one given; give the key it was sealed with (after a rekey, the new one) — nothing was read`);
  }
  db.sealing.sealer = sealer;
}

/**
 * Re-writes every value of the sublevels holding chat text (`sealedKinds`) under `next` (a new key's sealer, or
 * undefined for plain values) in one atomic batch with the new sealing record, then purges the old copies. Holds
 * those values in memory: the staged turns, the outbox, the quarantine. A damaged value (a sealed one failing its
 * tag, or one that is not JSON) is MC_STATE_DAMAGED before anything is written.
 */
async function resealAll(state: StateLevels, next: Sealer | undefined): Promise<void> {
  const { db, meta, stateDir } = state;
  const sublevels = Object.values(sealedKinds).map((kind) => ({ kind, sublevel: db.sublevel(kind) })); // each kind is its sublevel's name
  const read = [];
  for (const { kind, sublevel } of sublevels) {
    try {
      read.push({ sublevel, entries: await sublevel.iterator().all() });
    } catch (error) {
      if (!codesOf(error).includes('LEVEL_DECODE_ERROR')) throw error;
      throw new McError('MC_STATE_DAMAGED', `state in ${stateDir} is damaged: a ${kind} value is not JSON; restore ${stateDir} from a backup — nothing was rewritten`, { cause: error });
    }
  }
  const previous = db.sealing.sealer;
  db.sealing.sealer = next;
  try {
    const batch = db.batch();
    for (const { sublevel, entries } of read) for (const [key, value] of entries) batch.put(key, value, { sublevel });
    if (next === undefined) batch.del('sealing', { sublevel: meta });
    else batch.put('sealing', next.record, { sublevel: meta });
    await batch.write();
  } catch (error) {
    db.sealing.sealer = previous;
    throw error;
  }
  await db.purgeDeleted(sublevels.map(({ sublevel }) => sublevel.prefix));
}

/** Seals the state with a new key (`rekey`): every text value re-written under it, the old copies purged (resealAll). */
export async function rekey(state: StateLevels, newStateKey: string): Promise<void> {
  await resealAll(state, Sealer.fresh(newStateKey));
}
