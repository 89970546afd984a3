// Every command's --help lists only the flags it uses, and every flag there says what it is for.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from './helpers/run-cli.js';

/** The flags a --help screen lists, each with whether it has text beside its type. */
async function helpOf(command: string): Promise<Map<string, boolean>> {
  const result = await runCli([command, '--help'], {});
  assert.equal(result.code, 0, result.stderr);
  const flags = new Map<string, boolean>();
  for (const line of result.stdout.split('\n')) {
    const match = /^ {2}(--[a-z-]+)(.*)$/.exec(line);
    if (match !== null) flags.set(match[1]!, /[a-z]{3}/i.test((match[2] ?? '').replace(/\[(string|boolean|required|default: [^\]]*)\]/g, '')));
  }
  return flags;
}

const uses: Record<string, string[]> = {
  status: ['--state-dir', '--json'],
  check: ['--state-dir', '--log-dir', '--fix-permissions', '--webhook-url', '--retract-webhook-url', '--webhook-secret-file', '--webhook-headers-file', '--base-url', '--api-key-file', '--source', '--backfill', '--tz', '--redeliver'],
  reconcile: ['--state-dir', '--log-dir', '--fix-permissions', '--base-url', '--api-key-file', '--include-hidden', '--source', '--since', '--tz', '--json', '--retract-webhook-url'],
  'dead-letters': ['--state-dir', '--log-dir', '--webhook-url', '--retract-webhook-url', '--webhook-secret-file', '--webhook-headers-file', '--concurrency', '--fix-permissions', '--keep-reasoning', '--json'],
  quarantine: ['--state-dir', '--fix-permissions', '--json'],
  rekey: ['--state-dir', '--fix-permissions', '--new-state-key-file'],
};

describe('--help', () => {
  for (const [command, flags] of Object.entries(uses)) {
    it(`${command} --help lists only the flags ${command} uses, each with its text`, async () => {
      const help = await helpOf(command);
      assert.deepEqual([...help.keys()].filter((flag) => flag !== '--help' && flag !== '--version').sort(), [...flags].sort());
      assert.deepEqual([...help].filter(([, described]) => !described).map(([flag]) => flag), []);
    });
  }

  it('run --help gives every flag its text, and hides the refused secret flags', async () => {
    const help = await helpOf('run');
    assert.deepEqual([...help].filter(([, described]) => !described).map(([flag]) => flag), []);
    assert.ok(help.has('--backfill') && help.has('--dry-run') && !help.has('--api-key') && !help.has('--since'));
  });
});
