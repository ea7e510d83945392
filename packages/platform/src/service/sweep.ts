import type { FastifyBaseLogger } from "fastify";
import { Pauses } from "../pauses.js";

export interface SweepOptions {
  name: string;
  /** How long to wait after a sweep found its backlog done. */
  intervalMs: number;
  /** Handles one bounded batch and says how many it handled; a batch of `batchSize` means more may wait. */
  batch(): Promise<number>;
  batchSize: number;
  log: FastifyBaseLogger;
}

export interface Sweep {
  /** Waits for the batch under way, if any, and runs no other. */
  stop(): Promise<void>;
}

/**
 * Work that catches up in the background: a sweep runs batch after batch until a batch comes back
 * short (the backlog is done, however large it was after an outage), then waits `intervalMs`. One
 * sweep runs at a time, and a stop waits for at most the one batch under way.
 */
export function startSweep(options: SweepOptions): Sweep {
  const { name, intervalMs, batch, batchSize, log } = options;
  const pauses = new Pauses();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        let total = 0;
        for (let handled = batchSize; handled >= batchSize && !stopped; total += handled) handled = await batch();
        if (total > 0) log.info({ sweep: name, handled: total }, "sweep caught up");
      } catch (err) {
        log.warn({ sweep: name, err: (err as Error).message }, "sweep failed; will retry");
      }
      if (!stopped) await pauses.wait(intervalMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      pauses.cutShort();
      await loop;
    },
  };
}
