// A reasoning block: `<think>…</think>` or `<thinking>…</thinking>` (any case), or one opened and never closed (a
// reply cut short while the model was still reasoning), which runs to the end of the text.
const reasoningBlock = /<(think|thinking)>[\s\S]*?(?:<\/\1>|$)/gi;

/**
 * An assistant reply without its reasoning (DESIGN §3 "What a message says": reasoning is not memory): every
 * `<think>…</think>` and `<thinking>…</thinking>` block removed — reasoning models write them into the reply's text,
 * and AnythingLLM shows them folded — then the whitespace tidied: runs of blank lines where a block stood become one
 * blank line, and the text is trimmed. A reply without such a block comes back unchanged; one that was only
 * reasoning comes back empty.
 */
export function withoutReasoning(reply: string): string {
  reasoningBlock.lastIndex = 0;
  if (!reasoningBlock.test(reply)) return reply;
  return reply
    .replace(reasoningBlock, '\n\n')
    .replace(/[ \t]*\n(?:[ \t]*\n)+/g, '\n\n')
    .trim();
}
