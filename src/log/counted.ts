/**
 * A count with its noun, singular for one: `counted(1, 'conversation')` is "1 conversation", `counted(1200, 'chat')`
 * "1,200 chats". `plural` for nouns that do not take an s. Every operator-facing line counts through this.
 */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : plural}`;
}
