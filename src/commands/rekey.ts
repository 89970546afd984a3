import type { Config } from '../config.js';
import { readSecret } from '../config/secrets.js';
import { McError } from '../errors.js';
import { asStateError } from '../statedir/state-error.js';
import { commandLog, loggedCommand, stopSignal } from './command-context.js';
import { openExistingState } from './open-existing-state.js';

/**
 * `memory-cron rekey --new-state-key-file PATH`: seals every value holding chat text with a new state key (opened with
 * the current one, or plain when the state is not sealed yet), in one batch, and purges the old copies. Afterwards
 * only the new key opens the state: put it where the credential is read from (docs/security.md).
 */
export async function rekeyCommand(config: Config, commandLine: string, newKeyFile: string): Promise<number> {
  const log = commandLog(config, { toStderr: false, command: 'rekey' });
  return loggedCommand(log, stopSignal(config.deadlineMs), async () => {
    const newKey = readSecret({ file: newKeyFile, credential: 'new-state-key', envName: '--new-state-key-file' }, {});
    if (newKey === undefined || newKey.length < 32) throw new McError('MC_CONFIG', `the new state key in ${newKeyFile} has fewer than 32 characters; make one with: openssl rand -base64 32`);
    if (newKey === config.stateKey) throw new McError('MC_CONFIG', `the new state key in ${newKeyFile} is the current one; give a new key`);
    const state = await openExistingState(config.stateDir, commandLine, { fixPermissions: config.fixPermissions, stateKey: config.stateKey });
    if (state === undefined) throw new McError('MC_CONFIG', `nothing has run in ${config.stateDir} yet: there is nothing to rekey; give the key as the state-key credential and run`);
    try {
      await state.rekey(newKey);
    } catch (error) {
      throw asStateError(error, config.stateDir, 'sealing the state with the new key');
    } finally {
      await state.close();
    }
    log.logger.info({ stateDir: config.stateDir }, `state in ${config.stateDir} is sealed with the new key; put it where the state-key credential is read from, and remove the old one`);
    return 0;
  });
}
