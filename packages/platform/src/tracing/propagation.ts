import { context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

/**
 * Without the SDK the API's globals are no-ops: `propagation.extract` finds no `traceparent` and
 * `context.with` keeps no context, so a caller's trace id reached neither the logs nor the
 * histories. These two carry it, with no tracer: no span is made, nothing is exported. What is
 * registered already (a test's tracer provider, say) stays.
 */
export function propagateWithoutSdk(): void {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
}
