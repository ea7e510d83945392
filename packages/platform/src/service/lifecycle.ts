/** The service cannot go on (a consumer that cannot be restarted): liveness fails, and `serve` exits 1. */
export class Lifecycle {
  failure: Error | undefined;
  private readonly listeners: ((err: Error) => void)[] = [];

  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const listener of this.listeners) listener(err);
  }

  onFail(listener: (err: Error) => void): void {
    this.listeners.push(listener);
  }
}
