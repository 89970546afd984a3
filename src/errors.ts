/** Stable error codes: each names one thing an operator can act on (README "Error codes"). */
export const errorCodes = {
  MC_CONFIG: 2,
  MC_LOCKED: 3,
  MC_SOURCE_AUTH: 4,
  MC_SOURCE_NOT_FOUND: 4,
  MC_SOURCE_REJECTED: 4,
  MC_SOURCE_UNAVAILABLE: 5,
  MC_SOURCE_BAD_PAGE: 5,
  MC_SOURCE_LOOP: 5,
  MC_DEAD_LETTERS: 6,
  MC_WEBHOOK_DOWN: 6,
  MC_WEBHOOK_UNREACHABLE: 6,
  MC_WEBHOOK_REDIRECTED: 6,
  MC_MISSED_CHATS: 6,
  MC_STATE_DAMAGED: 7,
  MC_STATE_NEWER: 7,
  MC_STATE_UNWRITABLE: 7,
  MC_STATE_EXPOSED: 7,
  MC_STATE_KEY: 7,
  MC_DEADLINE: 8,
  MC_ABORTED: 130,
  MC_INTERNAL: 1,
} as const;

/** One of the stable codes above. */
export type ErrorCode = keyof typeof errorCodes;

/** Every error memory-cron throws on purpose: a stable `code`, a one-line message saying what to do, a `cause`. */
export class McError extends Error {
  override readonly name = 'McError';
  readonly code: ErrorCode;
  /** Extra, non-secret facts for the log line (status, offset, …). */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  /** The process exit code this error maps to (README "Exit codes"). */
  get exitCode(): number {
    return errorCodes[this.code];
  }
}

/** The exit code for an error (README "Exit codes"): ours by code, a stop by its signal (130/143), anything else is a bug (1). */
export function exitCodeOf(error: unknown): number {
  if (!isMcError(error)) return errorCodes.MC_INTERNAL;
  if (error.code === 'MC_ABORTED') return error.details['signal'] === 'SIGTERM' ? 143 : 130;
  return error.exitCode;
}

/** True for our own errors; p-retry rejects with the original error, so this is the check to use. */
export function isMcError(error: unknown, ...codes: ErrorCode[]): error is McError {
  return error instanceof McError && (codes.length === 0 || codes.includes(error.code));
}

/** An error and the errors of its `cause` chain, outermost first (non-Error causes end the chain). */
export function* causeChain(error: unknown): Generator<Error> {
  for (let e: unknown = error; e instanceof Error; e = e.cause) yield e;
}

/** What an operator reads of any failure: our code and message, or MC_INTERNAL saying it is a bug, with its message. */
export function failureOf(error: unknown): { readonly code: ErrorCode; readonly message: string } {
  if (isMcError(error)) return { code: error.code, message: error.message };
  return { code: 'MC_INTERNAL', message: `unexpected internal error (a bug — please report it): ${(error as Error)?.message ?? String(error)}` };
}

/** The `cause` field of a failure's log line: the messages of its causes, outermost first, joined by " ← "; {} when it has none. */
export function causeField(error: unknown): { readonly cause?: string } {
  const causes = [...causeChain(error)].slice(1).map((cause) => cause.message);
  return causes.length === 0 ? {} : { cause: causes.join(' ← ') };
}
