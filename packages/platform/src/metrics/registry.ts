import client from "@prometheus-io/client";
import type { FastifyBaseLogger } from "fastify";

export interface Sample {
  labels?: Record<string, string | number>;
  value: number;
}

/** `read`, called at most once every `maxAgeMs` (its last answer serves the calls in between). */
export function cached<T>(read: () => Promise<T>, maxAgeMs: number): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!last || Date.now() - last.at >= maxAgeMs) {
      const value = read();
      last = { at: Date.now(), value };
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value;
  };
}

/**
 * What every saga service counts, in its own registry (tests run several services in one
 * process): counters bumped only once the work they count has committed, and gauges computed when
 * Prometheus scrapes, never on the hot path.
 */
export function createServiceMetrics(registry: client.Registry, log: FastifyBaseLogger) {
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new client.Counter({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    outboxPublished: counter("outbox_published_total", "Outbox messages Kafka acknowledged"),
    messagesApplied: counter(
      "messages_applied_total",
      "Consumed messages whose transaction committed (redeliveries the inbox recognised included)",
      ["topic"],
    ),
    deadLetters: counter("dead_letters_total", "Messages sent to the dead-letter topic, by their source topic", [
      "topic",
    ]),
    counter,
    histogram: (name: string, help: string, buckets: number[], labelNames: string[] = []) =>
      new client.Histogram({ name, help, buckets, labelNames, registers: [registry] }),
    /**
     * A gauge whose samples `read` computes at scrape time. A failed read (the database away) is
     * logged and the gauge reports nothing, rather than failing the whole scrape.
     */
    scraped(name: string, help: string, read: () => Promise<Sample[]>, labelNames: string[] = []) {
      return new client.Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          this.reset();
          try {
            for (const { labels, value } of await read()) {
              if (labels) this.set(labels, value);
              else this.set(value);
            }
          } catch (err) {
            log.warn({ metric: name, err: (err as Error).message }, "metric not computed");
          }
        },
      });
    },
  };
}

export type ServiceMetrics = ReturnType<typeof createServiceMetrics>;
