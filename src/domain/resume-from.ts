/** Where a stopped run got to (DESIGN §1 "resumes paging near where the last one stopped"): see resume-point.ts. */
export interface ResumeFrom {
  /** Every chat from `low` up to `top` was staged (or marked) by earlier runs. */
  readonly top: number;
  readonly low: number;
  /** The page `low` was read from then. */
  readonly lowOffset: number;
}
