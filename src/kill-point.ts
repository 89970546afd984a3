// TEST-ONLY. The crash tests (test/crash.e2e.test.ts) set MEMORY_CRON_TEST_KILL_AT=name[:n[:SIGNAL]] to SIGKILL the job
// at the n-th pass (default 1) of a named stage boundary, proving DESIGN §4 ("a kill -9 at any instant loses no chat").
// SIGNAL SIGTERM or SIGINT sends that signal instead, which the job handles as a stop (a signal at a known instant:
// after the last conversation is marked sent, say). Production never sets the variable; unset, every killPoint() is one
// comparison. Read once, at load.

/** The stage boundaries a crash test can stop the job at, in the order a night passes them. */
export const killPoints = [
  'page-read', //      a page came back, not yet staged (the next one is being fetched)
  'page-staged', //    a page's batch is written
  'paged', //          every page is staged, the cursor not yet written
  'cursor-written', // the cursor moved, nothing frozen yet
  'frozen', //         a conversation is frozen in the outbox, before its POST
  'posted', //         the webhook answered 2xx, the conversation is not yet marked sent
  'marked-sent', //    the conversation is marked sent
  'retraction-found', //  changes to sent chats are recorded, their retraction not yet frozen
  'retraction-frozen', // a retraction is frozen in its outbox, before its POST
  'retraction-posted', // the retraction webhook answered 2xx, the retraction is not yet marked sent
  'retraction-sent', //   the retraction is marked sent
] as const;

/** One of {@link killPoints}. */
export type KillPoint = (typeof killPoints)[number];

/** The signals a kill point can send: SIGKILL (the default) ends the process at once; SIGTERM and SIGINT are handled. */
const signals = ['SIGKILL', 'SIGTERM', 'SIGINT'] as const;

const target = parse(process.env['MEMORY_CRON_TEST_KILL_AT']);
let hits = 0;

/**
 * Test-only: sends this process the kill point's signal (SIGKILL unless MEMORY_CRON_TEST_KILL_AT names another) on the
 * n-th pass of `point` when the variable names it; else nothing. A handled signal (SIGTERM, SIGINT) is delivered to
 * the job's handler on the event loop's next turn, while the job goes on from here.
 */
export function killPoint(point: KillPoint): void {
  if (target === undefined || target.point !== point) return;
  if (++hits === target.nth) process.kill(process.pid, target.signal);
}

function parse(value: string | undefined): { point: string; nth: number; signal: (typeof signals)[number] } | undefined {
  if (value === undefined || value === '') return undefined;
  const [point = '', nth = '1', signal = 'SIGKILL'] = value.split(':');
  const known = signals.find((name) => name === signal);
  if (known === undefined) throw new Error(`MEMORY_CRON_TEST_KILL_AT: ${signal} is not one of ${signals.join(', ')}`);
  return { point, nth: Number(nth), signal: known };
}
