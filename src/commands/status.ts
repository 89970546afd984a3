import { readStatusFile } from '../state/status-file.js';

/** `memory-cron status [--json]`: what the last checkpoint says, read from status.json (never opens LevelDB). */
export async function statusCommand(stateDir: string, json: boolean): Promise<number> {
  const status = await readStatusFile<Record<string, unknown>>(stateDir);
  if (status === undefined) {
    process.stdout.write(json ? `${JSON.stringify({ stateDir, ranBefore: false })}\n` : `nothing has run in ${stateDir} yet\n`);
    return 0;
  }
  process.stdout.write(`${JSON.stringify({ stateDir, ranBefore: true, ...status }, null, json ? undefined : 2)}\n`);
  return 0;
}
