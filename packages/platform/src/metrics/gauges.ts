import type { Admin } from "kafkajs";
import { type ReadinessCheck, runChecks } from "../http/health.js";
import { type Query, type Statements, sql } from "../sql/sql.js";
import { cached, type Sample, type ServiceMetrics } from "./registry.js";

interface GaugeName {
  name: string;
  help: string;
}

/**
 * How many rows `rows` (a FROM clause of rows with a `created_at`) holds, and the oldest one's age
 * in seconds (0 when none): one query, at most once a second, shared by both gauges of a scrape.
 */
export function countAndAgeGauges(
  metrics: ServiceMetrics,
  db: Statements,
  rows: Query,
  count: GaugeName,
  age: GaugeName,
) {
  const read = cached(async () => {
    const [row] = await db.rows<{ n: number; age: number }>(sql`
      SELECT count(*)::int AS "n", COALESCE(EXTRACT(EPOCH FROM now() - min("created_at")), 0)::float8 AS "age"
      ${rows}`);
    return row ?? { n: 0, age: 0 };
  }, 1_000);
  metrics.scraped(count.name, count.help, async () => [{ value: (await read()).n }]);
  metrics.scraped(age.name, age.help, async () => [{ value: (await read()).age }]);
}

/** How much the outbox owes Kafka, and since when. */
export function outboxGauges(metrics: ServiceMetrics, db: Statements): void {
  countAndAgeGauges(
    metrics,
    db,
    sql`FROM "outbox"`,
    { name: "outbox_backlog_messages", help: "Outbox messages not yet acknowledged by Kafka" },
    { name: "outbox_oldest_message_age_seconds", help: "Age of the oldest outbox message (0 when empty)" },
  );
}

/**
 * Each consumed partition's lag: the log end against the offset the service's group committed
 * (against the log start when it committed none). Asked of the broker at most every 5 s.
 */
export function consumerLagGauge(metrics: ServiceMetrics, admin: Admin, groupId: string, topics: string[]): void {
  const read = cached(async () => {
    const committed = await admin.fetchOffsets({ groupId, topics });
    const samples: Sample[] = [];
    for (const topic of topics) {
      const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const end of await admin.fetchTopicOffsets(topic)) {
        const offset = Number(mine.find((p) => p.partition === end.partition)?.offset ?? -1);
        const from = offset >= 0 ? offset : Number(end.low);
        samples.push({ labels: { topic, partition: end.partition }, value: Math.max(0, Number(end.high) - from) });
      }
    }
    return samples;
  }, 5_000);
  metrics.scraped("kafka_consumer_lag_messages", "Records not yet consumed by the service's group", read, [
    "topic",
    "partition",
  ]);
}

/**
 * Each health check's result as the probes answer it (1 passes, 0 fails), by probe (`live`,
 * `ready`) and check: run when scraped, at most once a second.
 */
export function healthGauge(metrics: ServiceMetrics, probes: Record<string, Record<string, ReadinessCheck>>): void {
  const read = cached(async () => {
    const answers = await Promise.all(
      Object.entries(probes).map(async ([probe, checks]) => ({ probe, ...(await runChecks(checks)) })),
    );
    return answers.flatMap(({ probe, checks }) =>
      Object.entries(checks).map(([check, passed]) => ({ labels: { probe, check }, value: passed ? 1 : 0 })),
    );
  }, 1_000);
  metrics.scraped("health_check_passing", "Each health check: 1 when it passes, 0 when it fails", read, [
    "probe",
    "check",
  ]);
}
