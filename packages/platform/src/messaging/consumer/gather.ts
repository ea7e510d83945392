/**
 * Chunks submitted under one key in the same turn of the event loop, handed over together: kafkajs
 * hands each partition of a fetch to its own concurrent `eachBatch`, and the partitions of one
 * topic are cheaper applied in one transaction than in one each. Every submitter's promise settles
 * with the shared outcome.
 */
export class Gatherer<K, T> {
  private readonly waiting = new Map<K, { items: T[]; done: Promise<void> }>();

  constructor(private readonly handle: (key: K, items: T[]) => Promise<void>) {}

  submit(key: K, items: T[]): Promise<void> {
    let group = this.waiting.get(key);
    if (!group) {
      const gathered: T[] = [];
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.waiting.delete(key);
        return this.handle(key, gathered);
      });
      group = { items: gathered, done };
      this.waiting.set(key, group);
    }
    group.items.push(...items);
    return group.done;
  }
}
