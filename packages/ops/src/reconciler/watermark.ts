/**
 * How far a log has been read. Ids come from a sequence when a row is inserted, but become visible
 * when its transaction commits, so a smaller id can appear after a larger one was read: every id
 * skipped over is kept as a gap and read again until it appears or `gapTtlMs` has passed (a rolled
 * back insert leaves a gap for ever). What a gap's expiry could still miss, the sweep finds.
 */
export class Watermark {
  private readonly gaps = new Map<number, number>();

  constructor(
    public after: number,
    private readonly gapTtlMs = 60_000,
    private readonly maxGaps = 50_000,
  ) {}

  /** The gaps still worth reading again. */
  openGaps(now = Date.now()): number[] {
    for (const [id, since] of this.gaps) if (now - since > this.gapTtlMs) this.gaps.delete(id);
    return [...this.gaps.keys()];
  }

  /** Records the ids a read returned (in id order): filled gaps close, skipped ids open. */
  advance(ids: number[], now = Date.now()): void {
    for (const id of ids) {
      if (id <= this.after) {
        this.gaps.delete(id);
        continue;
      }
      for (let skipped = this.after + 1; skipped < id && this.gaps.size < this.maxGaps; skipped++)
        this.gaps.set(skipped, now);
      this.after = id;
    }
  }
}
