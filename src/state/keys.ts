// Fixed-width decimal keys, so LevelDB's byte order is the numeric order (DESIGN §4: "its key order is the sort").
const width = 16; // Number.MAX_SAFE_INTEGER has 16 digits

/** Zero-pads a non-negative safe integer to a fixed width. */
export function padId(value: number): string {
  return String(value).padStart(width, '0');
}

/** The key of a thread: workspace then thread; the default thread (null) sorts first. */
export function threadKey(workspaceId: number, threadId: number | null): string {
  return `${padId(workspaceId)}:${threadId === null ? '-' : padId(threadId)}`;
}

/** The key of a staged turn: thread, then time, then id — a range scan yields every thread in order. */
export function turnKey(turn: { workspaceId: number; threadId: number | null; createdAt: number; id: number }): string {
  return `${threadKey(turn.workspaceId, turn.threadId)}:${padId(turn.createdAt)}:${padId(turn.id)}`;
}
