import { zeroCounts, type StageCounts, type StageFindings } from '../domain/night-counts.js';
import type { Turn } from '../domain/turn.js';
import type { ChatMark } from '../store/records.js';
import type { KnownChats, PageWrite, StagedMark } from '../store/state.js';

/** The after-send counts a change to a sent chat adds to (StageCounts), with its chat id in the findings. */
export type AfterSendCount = 'changedAfterSend' | 'hiddenAfterSend' | 'deletedAfterSend';

/** How the ledger stages: hidden chats kept or skipped, and where the chat ids behind the counts go. */
interface LedgerOptions {
  readonly includeHidden: boolean;
  readonly findings?: StageFindings | undefined;
}

/**
 * One page being staged (stage-page.ts): what is known of its chats as its decisions are made (a chat may come twice
 * on a page: the second copy meets what the first left), the decisions written so far (PageWrite), and the counts.
 */
export class PageLedger {
  /** What staging the page did so far (`read` is set by the caller). */
  readonly counts: StageCounts = zeroCounts();
  private readonly marks: Map<number, ChatMark | undefined>;
  private readonly staged: Map<number, Turn>;

  constructor(
    private readonly known: KnownChats,
    private readonly write: PageWrite,
    private readonly options: LedgerOptions,
  ) {
    this.marks = new Map(known.marks);
    this.staged = new Map(known.staged);
  }

  /** Chat `id`'s mark as the decisions so far left it (undefined: never seen). */
  markOf(id: number): ChatMark | undefined {
    return this.marks.get(id);
  }

  /** Chat `id`'s staged copy as the decisions so far left it (undefined: none, or its turn is missing). */
  stagedCopy(id: number): Turn | undefined {
    return this.staged.get(id);
  }

  /** True when the webhook accepted `conversation` (KnownChats `sent`): a conversation not sent is still in the outbox. */
  isSent(conversation: string): boolean {
    return this.known.sent.has(conversation);
  }

  /** Sets chat `id`'s mark. */
  setMark(id: number, mark: ChatMark): void {
    this.marks.set(id, mark);
    this.write.mark(id, mark);
  }

  /** Stages a copy of a chat; `reused`: the identity digest when it came under an id a frozen chat had (its conversation's id names it apart). */
  stage(incoming: Turn, reused?: string): void {
    const { reused: _, ...copy } = incoming;
    const turn: Turn = reused === undefined ? copy : { ...copy, reused };
    this.staged.set(turn.id, turn);
    this.marks.set(turn.id, this.write.stage(turn));
  }

  /** Drops chat `id`'s staged copy, which `mark` points at. */
  unstage(id: number, mark: StagedMark): void {
    this.write.unstage(mark);
    this.staged.delete(id);
  }

  /** Another chat under a reused id (DESIGN §1 "A chat's identity"): new, staged (or skipped when hidden), counted. */
  stageReused(turn: Turn, reused: string | undefined): void {
    const findings = this.options.findings;
    this.counts.reusedIds++;
    findings?.reusedIds.push(turn.id);
    if (this.skips(turn)) {
      this.setMark(turn.id, reused === undefined ? { s: 'hidden' } : { s: 'hidden', r: reused });
      this.counts.skipped++;
      return;
    }
    findings?.missed.push(turn.id); // a chat never seen: `reconcile` stages it
    this.stage(turn, reused);
    this.counts.staged++;
  }

  /** Notes a chat never seen before (no mark), staged now, for `reconcile`'s table. */
  missed(id: number): void {
    this.options.findings?.missed.push(id);
  }

  /** Counts a change to sent chat `id` (nothing when `kind` is undefined), with its id in the findings. */
  countAfterSend(kind: AfterSendCount | undefined, id: number): void {
    if (kind === undefined) return;
    this.counts[kind]++;
    this.options.findings?.[kind].push(id);
  }

  /** True when a copy is skipped as hidden (`include: false` without `--include-hidden`). */
  skips(turn: Turn): boolean {
    return !turn.include && !this.options.includeHidden;
  }
}
