/**
 * Timed waits that can be ended early: the relay's poll by a commit's NOTIFY, and any wait by a
 * stop (a relay or consumer lingering for a batch to fill must not hold up a shutdown).
 */
export class Pauses {
  private readonly pending = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending.add(done);
    });
  }

  /** Ends every wait under way now. */
  cutShort(): void {
    for (const done of [...this.pending]) done();
  }
}
