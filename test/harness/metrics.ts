import { type MetricSample, parseMetrics } from "@saga/ops/metrics";
import type { FastifyInstance } from "fastify";

export { type MetricSample, sampleValue } from "@saga/ops/metrics";

/** A service's `GET /metrics`, parsed. */
export async function scrape(app: FastifyInstance): Promise<MetricSample[]> {
  const res = await app.inject({ method: "GET", url: "/metrics" });
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}: ${res.body}`);
  return parseMetrics(res.body);
}
