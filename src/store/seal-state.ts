import { McError } from '../errors.js';
import { purgeDeleted } from './purge.js';
import type { SealerSlot } from './sealed-values.js';
import { Sealer, sealedKinds, type SealingRecord } from './sealing.js';
import type { StateLevels } from './levels.js';

/**
 * Switches sealing on for an open state (docs/security.md). A sealed state needs its key: none, or
 * another, is MC_STATE_KEY (exit 7), never an empty night. A state not sealed yet, opened with a key, is sealed
 * in place: its text values re-written sealed in one batch, the plain copies purged.
 */
export async function setUpSealing(state: StateLevels, slot: SealerSlot, stateKey: string | undefined): Promise<void> {
  const record = (await state.meta.get('sealing')) as SealingRecord | undefined;
  if (record === undefined) {
    if (stateKey !== undefined) await resealAll(state, slot, Sealer.fresh(stateKey));
    return;
  }
  if (stateKey === undefined) {
    throw new McError('MC_STATE_KEY', `state in ${state.stateDir} is sealed with a state key and none was given; give it as the state-key credential ($CREDENTIALS_DIRECTORY/state-key) or in the file STATE_KEY_FILE names — nothing was read`);
  }
  const sealer = Sealer.forRecord(stateKey, record);
  if (sealer === undefined) {
    throw new McError('MC_STATE_KEY', `state in ${state.stateDir} is sealed with another state key than the one given; give the key it was sealed with (after a rekey, the new one) — nothing was read`);
  }
  slot.sealer = sealer;
}

/**
 * Re-writes every sealed kind of value under `next` (a new key's sealer, or undefined for plain values) in one
 * atomic batch with the new sealing record, then purges the old copies. Holds those values in memory: the staged
 * turns, the outbox, the quarantine. A damaged value (a sealed one failing its tag, a plain one not JSON) is
 * MC_STATE_DAMAGED before anything is written.
 */
export async function resealAll(state: StateLevels, slot: SealerSlot, next: Sealer | undefined): Promise<void> {
  const prefixes = Object.keys(sealedKinds);
  const entries: [string, Buffer][] = [];
  for (const prefix of prefixes) {
    const upper = `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
    entries.push(...(await state.db.iterator<string, Buffer>({ gte: prefix, lt: upper, valueEncoding: 'buffer' }).all()));
  }
  // Sealed values are checked by their tag as they are read; plain ones must at least be JSON: damage is never sealed in.
  const damaged = entries.find(([, value]) => !isJson(value));
  if (damaged !== undefined) {
    const kind = Object.entries(sealedKinds).find(([prefix]) => damaged[0].startsWith(prefix))?.[1] ?? 'state';
    throw new McError('MC_STATE_DAMAGED', `state in ${state.stateDir} is damaged: a ${kind} value is not JSON; restore ${state.stateDir} from a backup — nothing was rewritten`);
  }
  const previous = slot.sealer;
  slot.sealer = next;
  try {
    const batch = state.db.batch();
    for (const [key, value] of entries) batch.put(key, value, { valueEncoding: 'buffer' });
    if (next === undefined) batch.del('sealing', { sublevel: state.meta });
    else batch.put('sealing', next.record, { sublevel: state.meta });
    await batch.write();
  } catch (error) {
    slot.sealer = previous;
    throw error;
  }
  await purgeDeleted(state.db, prefixes);
}

function isJson(value: Buffer): boolean {
  try {
    JSON.parse(value.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
