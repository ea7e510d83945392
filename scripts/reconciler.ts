// The saga's invariant as a live signal: `pnpm reconciler` (the stack starts it with `pnpm stack:up`).
// It checks what changed since its last pass, and a slice of everything, every RECONCILE_INTERVAL_MS,
// as the operators' role, and serves saga_invariant_discrepancies on /metrics (127.0.0.1:3009).
import { loadReconcilerConfig, reconcilerApp } from "@saga/ops/reconciler";
import { createFastify } from "@saga/platform/http";

let config: ReturnType<typeof loadReconcilerConfig>;
try {
  config = loadReconcilerConfig();
} catch (err) {
  process.stderr.write(`reconciler: cannot start: ${(err as Error).message}\n`);
  process.exit(1);
}
const app = createFastify({ logger: { level: config.logLevel }, forceCloseConnections: true });
await app.register(reconcilerApp, { config });
const close = async () => {
  await app.close();
  process.exit(0);
};
process.on("SIGTERM", () => void close());
process.on("SIGINT", () => void close());
await app.listen({ host: config.host, port: config.port });
