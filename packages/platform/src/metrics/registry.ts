import client from "@prometheus-io/client";
import type { FastifyBaseLogger } from "fastify";

type Labels = Record<string, string | number>;

export interface Sample {
  labels?: Labels;
  value: number;
}

/**
 * Makes each of `known`'s series exist at 0: without it a labelled counter has no series before its
 * first event, and `rate()` or `increase()` over it sees nothing, that first event included.
 */
export function startAtZero(counter: client.Counter<string>, known: Labels[]): void {
  for (const labels of known) counter.inc(labels, 0);
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
  /** A counter, with a series at 0 for each of the `known` label sets it will count under. */
  const counter = (name: string, help: string, labelNames: string[] = [], known: Labels[] = []) => {
    const made = new client.Counter({ name, help, labelNames, registers: [registry] });
    startAtZero(made, known);
    return made;
  };
  return {
    registry,
    outboxPublished: counter("outbox_published_total", "Outbox messages Kafka acknowledged"),
    outboxRefused: counter("outbox_refused_total", "Outbox messages the broker refused, set aside in outbox_refused", [
      "topic",
    ]),
    messagesApplied: counter(
      "messages_applied_total",
      "Consumed messages whose transaction committed (redeliveries the inbox recognised included)",
      ["topic"],
    ),
    deadLetters: counter("dead_letters_total", "Messages sent to the dead-letter topic, by their source topic", [
      "topic",
    ]),
    // The error handler answers 500 (a fault of ours) or 503 (a dependency away) from 500 up.
    serverErrors: counter(
      "http_server_errors_total",
      "HTTP answers from 500 up, by status (the health probes' 503 left out)",
      ["status"],
      [{ status: 500 }, { status: 503 }],
    ),
    rateLimited: counter("http_rate_limited_total", "Requests refused by a rate limit (429)"),
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
