// @saga/ops/reconciler: the invariant checked while the system runs (scripts/reconciler.ts).
export { reconcilerApp } from "./app.js";
export { checkSubjects, noSubjects } from "./check.js";
export { loadReconcilerConfig } from "./config.js";
export { createReconcilerMetrics } from "./metrics.js";
export { createReconciler, type Reconciler } from "./reconciler.js";
