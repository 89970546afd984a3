import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { McError } from '../errors.js';

/** Where a secret may come from, most important first (DESIGN §5). */
export interface SecretSources {
  /** A file named on the command line (`--api-key-file`). */
  readonly file?: string | undefined;
  /** The systemd credential name under `$CREDENTIALS_DIRECTORY`. */
  readonly credential: string;
  /** The environment variable. */
  readonly envName: string;
}

/** Reads a secret from `--…-file` > `$CREDENTIALS_DIRECTORY/<credential>` > the environment; trailing newline trimmed. Empty is absent. */
export function readSecret(sources: SecretSources, env: NodeJS.ProcessEnv): string | undefined {
  if (sources.file !== undefined) return nonEmpty(readSecretFile(sources.file, sources.envName));
  const credentials = env['CREDENTIALS_DIRECTORY'];
  if (credentials !== undefined && credentials !== '') {
    const fromCredential = nonEmpty(readSecretFile(join(credentials, sources.credential), sources.envName, true));
    if (fromCredential !== undefined) return fromCredential;
  }
  return nonEmpty(env[sources.envName]);
}

function readSecretFile(path: string, envName: string, optional = false): string | undefined {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new McError('MC_CONFIG', `cannot read the ${envName} file ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}); check the path and its permissions`, { cause: error });
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
