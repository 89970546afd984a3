#!/usr/bin/env node
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { checkFlags, deliveryFlags, nightFlags, quarantineFlags, reconcileFlags, rekeyFlags, sourceFlags, statusFlags } from './cli-flags.js';
import { shownCommandLine } from './command-line.js';
import { loadConfig, type ConfigFlags } from './config.js';
import { McError } from './errors.js';
import { fallbackLine } from './log/fallback-line.js';
import { checkCommand } from './commands/check.js';
import { deadLettersCommand, retryDeadLettersCommand } from './commands/dead-letters.js';
import { quarantineCommand } from './commands/quarantine.js';
import { reconcileCommand } from './commands/reconcile.js';
import { rekeyCommand } from './commands/rekey.js';
import { exitCodeOf, version } from './commands/command-context.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';

// The CLI only parses, builds one Config, calls a command, and turns what comes back into the exit code.

// Each command takes only the flags it uses (cli-flags.ts), so its --help lists only those.
function runFlags<T>(argv: Argv<T>) {
  return argv.options({ ...deliveryFlags, ...sourceFlags, ...nightFlags });
}

function deadLetterFlags<T>(argv: Argv<T>) {
  return argv.options({ ...deliveryFlags, json: reconcileFlags.json });
}

function flagsOf(argv: Record<string, unknown>): ConfigFlags {
  for (const secret of ['api-key', 'webhook-secret'] as const) {
    if (argv[secret] !== undefined) {
      throw new McError('MC_CONFIG', `--${secret} is refused: other users can read command lines; use ${secret === 'api-key' ? 'API_KEY or --api-key-file' : 'WEBHOOK_SECRET or --webhook-secret-file'} or a systemd credential`);
    }
  }
  return argv as ConfigFlags;
}

async function main(args: string[]): Promise<number> {
  let exitCode = 0;
  const commandLine = shownCommandLine(args);
  await yargs(args)
    .scriptName('memory-cron')
    .command(['run', '$0'], 'the nightly job: page, stage, deliver closed conversations', runFlags, async (argv) => {
      exitCode = await runCommand(loadConfig(flagsOf(argv), process.env, { source: true, webhook: argv.dryRun !== true }), commandLine);
    })
    .command('check', 'validate the settings and read page 0, sending nothing', (y) => y.options(checkFlags), async (argv) => {
      exitCode = await checkCommand(loadConfig(flagsOf(argv), process.env, { source: true, webhook: true }));
    })
    .command('reconcile', 're-read the source back to --since (default: the floor, or all history); stage chats no night saw, count changes to sent ones', (y) => y.options(reconcileFlags), async (argv) => {
      exitCode = await reconcileCommand(loadConfig(flagsOf(argv), process.env, { source: true, webhook: false }), commandLine, argv.json);
    })
    .command('status', 'cursor, last run, open conversations, dead letters, quarantine', (y) => y.options(statusFlags), async (argv) => {
      exitCode = await statusCommand(loadConfig(argv, process.env, { source: false, webhook: false }).stateDir, argv.json);
    })
    .command('dead-letters [action]', 'list dead and parked conversations; `dead-letters retry` sends them now', (y) => deadLetterFlags(y).positional('action', { choices: ['retry'] as const, describe: 'retry: send every dead, parked and pending conversation now' }), async (argv) => {
      const retry = argv.action === 'retry';
      const config = loadConfig(flagsOf(argv), process.env, { source: false, webhook: retry });
      exitCode = retry ? await retryDeadLettersCommand(config, commandLine) : await deadLettersCommand(config, commandLine, argv.json);
    })
    .command('quarantine', 'list quarantined records with their reason and the raw record', (y) => y.options(quarantineFlags), async (argv) => {
      exitCode = await quarantineCommand(loadConfig(argv, process.env, { source: false, webhook: false }), commandLine, argv.json);
    })
    .command('rekey', 'seal the state with a new state key (the current one from STATE_KEY_FILE or the state-key credential)', (y) => y.options(rekeyFlags).option('new-state-key-file', { type: 'string', demandOption: true, describe: 'file holding the new state key (32+ characters: openssl rand -base64 32)' }), async (argv) => {
      exitCode = await rekeyCommand(loadConfig(argv, process.env, { source: false, webhook: false }), commandLine, argv.newStateKeyFile);
    })
    .strict()
    .version(version)
    .help()
    .fail((message, error) => {
      throw error ?? new McError('MC_CONFIG', `${message}; see memory-cron --help`);
    })
    .parseAsync();
  return exitCode;
}

try {
  process.exitCode = await main(hideBin(process.argv));
} catch (error) {
  process.stderr.write(fallbackLine(error, process.env, version));
  process.exitCode = exitCodeOf(error);
}
