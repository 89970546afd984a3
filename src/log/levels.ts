/** The LOG_LEVEL values: pino's levels and `silent`. */
export const logLevels: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
