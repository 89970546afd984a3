import { McError } from '../errors.js';

/** Throws the one-line MC_CONFIG error (exit 2) for a bad or missing setting; `message` names it and what to do. */
export function refuseSetting(message: string): never {
  throw new McError('MC_CONFIG', message);
}
