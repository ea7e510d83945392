// @saga/platform/tracing: one booking, one trace, across both services and Kafka.
export { traceIdOf } from "./context.js";
export { tracingPlugin } from "./plugin.js";
