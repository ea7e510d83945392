// @saga/platform/metrics: `GET /metrics`, one registry per service instance, and gauges read at scrape time.
export { countAndAgeGauges } from "./gauges.js";
export { metricsPlugin } from "./plugin.js";
export { cached, type ServiceMetrics } from "./registry.js";
