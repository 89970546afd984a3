import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { State } from '../store/state.js';
import type { StageCounts } from '../domain/night-counts.js';

/**
 * The source on record (DESIGN §1 "A chat's identity"): the `BASE_URL` the state was built from, or undefined (none
 * recorded yet, or chats read from a file). Warns `MC_SOURCE_CHANGED` when this night reads another one; the chat
 * identity rule keeps the data safe, so the night goes on.
 */
export async function checkSource(state: State, config: Config, log: Logger): Promise<string | undefined> {
  const recorded = await state.meta('source');
  const source = config.source;
  if (source?.kind === 'api' && recorded !== undefined && recorded !== source.baseUrl) {
    log.warn({ code: 'MC_SOURCE_CHANGED', recorded, baseUrl: source.baseUrl }, `this state was built from ${recorded}, and BASE_URL is now ${source.baseUrl}: if that is another AnythingLLM server, its chats are sent as new chats (ids it reuses are counted as reusedIds); if BASE_URL is wrong, fix it`);
  }
  return recorded;
}

/** Records the night's source once its paging is done (API only); returns the source on record now. */
export async function recordSource(state: State, config: Config, recorded: string | undefined): Promise<string | undefined> {
  const source = config.source;
  if (source?.kind !== 'api') return recorded;
  if (recorded !== source.baseUrl) await state.setMeta('source', source.baseUrl);
  return source.baseUrl;
}

/** Warns once per night (`MC_SOURCE_REWOUND`) when paging met chats under reused ids (DESIGN §1 "A chat's identity"). */
export function warnIfRewound(counts: Pick<StageCounts, 'reusedIds'>, log: Logger): void {
  if (counts.reusedIds === 0) return;
  log.warn(
    { code: 'MC_SOURCE_REWOUND', reusedIds: counts.reusedIds },
    `${counts.reusedIds} chats came under ids that belonged to other chats: the source went back (AnythingLLM restored from a backup, or BASE_URL names another server); they were staged as new chats and are sent as such, and nothing sent before is resent`,
  );
}
