import type { Config } from '../config.js';
import { asStateError } from '../statedir/state-error.js';
import { nothingRanLine, openExistingState } from './open-existing-state.js';
import { textTable } from './text-table.js';

/** `memory-cron quarantine [--json]`: lists the bad records with their reason and the raw record (takes the lock; exit 3 while a run holds it). */
export async function quarantineCommand(config: Config, commandLine: string, json: boolean): Promise<number> {
  const state = await openExistingState(config.stateDir, commandLine, { fixPermissions: config.fixPermissions, stateKey: config.stateKey });
  if (state === undefined) {
    process.stdout.write(json ? `${JSON.stringify({ stateDir: config.stateDir, ranBefore: false, count: 0, records: [] })}\n` : nothingRanLine(config.stateDir));
    return 0;
  }
  try {
    const records = (await state.quarantined()).map((record) => ({ id: record.id, reason: record.reason, at: record.at, raw: record.raw }));
    if (json) {
      process.stdout.write(`${JSON.stringify({ stateDir: config.stateDir, ranBefore: true, count: records.length, records })}\n`);
      return 0;
    }
    const head = `${records.length} quarantined records in ${config.stateDir}${records.length > 0 ? ' (fix them in AnythingLLM, or leave them: they are counted, never sent)' : ''}\n`;
    const rows = records.map((r) => [r.id === null ? '-' : String(r.id), r.at, r.reason, JSON.stringify(r.raw) ?? String(r.raw)]);
    process.stdout.write(records.length === 0 ? head : head + textTable(['CHAT', 'QUARANTINED AT', 'REASON', 'RAW RECORD'], rows, 70));
    return 0;
  } catch (error) {
    throw asStateError(error, config.stateDir, 'listing the quarantine');
  } finally {
    await state.close();
  }
}
