// A reasoning block with the white space around it: `<think>…</think>` or `<thinking>…</thinking>` (any case), or one
// opened and never closed (a reply cut short while the model was still reasoning), which runs to the end of the text.
// (The white space before a block is trimmed off the text before it: a leading `\s*` would backtrack.)
const reasoningBlock = /<(think|thinking)>[\s\S]*?(?:<\/\1>|$)\s*/gi;

/**
 * An assistant reply without its reasoning (DESIGN §3 "What a message says": reasoning is not memory): every
 * `<think>…</think>` and `<thinking>…</thinking>` block removed — reasoning models write them into the reply's text,
 * and AnythingLLM shows them folded — then the white space tidied: a block and the white space around it become one
 * paragraph break, and the text is trimmed; the rest of the reply keeps its layout. A reply without such a block
 * comes back unchanged; one that was only reasoning comes back empty.
 */
export function withoutReasoning(reply: string): string {
  if (!/<think(ing)?>/i.test(reply)) return reply;
  const kept: string[] = [];
  let from = 0;
  for (const block of reply.matchAll(reasoningBlock)) {
    kept.push(reply.slice(from, block.index).trimEnd(), '\n\n');
    from = block.index + block[0].length;
  }
  kept.push(reply.slice(from));
  return kept.join('').trim();
}
