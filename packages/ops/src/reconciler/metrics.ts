import client from "@prometheus-io/client";
import { DISCREPANCY_KINDS } from "../invariant.js";
import type { Checked } from "./check.js";

/**
 * The live reconciler's metrics, in a registry of its own. `saga_invariant_discrepancies` appears
 * only once a first pass has checked something, so that `absent()` tells an invariant nobody checks.
 */
export function createReconcilerMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const discrepancies = new client.Gauge({
    name: "saga_invariant_discrepancies",
    help: "Discrepancies the reconciler found in two passes running (a booking, night, movement or deposit that disagrees), by kind",
    labelNames: ["kind"],
    registers: [registry],
  });
  return {
    registry,
    discrepancies,
    /** Sets every kind's count: those not given are 0. */
    setDiscrepancies(counts: Record<string, number>) {
      for (const kind of DISCREPANCY_KINDS) discrepancies.set({ kind }, counts[kind] ?? 0);
    },
    suspected: new client.Gauge({
      name: "reconciler_suspected_discrepancies",
      help: "Discrepancies found by the last pass only, to be checked again by the next before they count",
      registers: [registry],
    }),
    passes: new client.Counter({
      name: "reconciler_passes_total",
      help: "Passes of the reconciler, by outcome (ok, failed: a database did not answer)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    passDuration: new client.Histogram({
      name: "reconciler_pass_duration_seconds",
      help: "How long a pass took: what changed since the last one, plus a slice of the sweep",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    lastPass: new client.Gauge({
      name: "reconciler_last_pass_timestamp_seconds",
      help: "When the last pass that completed ended (Unix time)",
      registers: [registry],
    }),
    checked: new client.Counter({
      name: "reconciler_checked_total",
      help: "What the passes checked: bookings, nights, movements and deposits",
      labelNames: ["what"],
      registers: [registry],
    }),
    sweeps: new client.Counter({
      name: "reconciler_sweeps_completed_total",
      help: "Times the sweep walked a whole table, by table (it finds changes no log records, such as ones made by hand)",
      labelNames: ["table"],
      registers: [registry],
    }),
    countChecked(checked: Checked) {
      for (const [what, n] of Object.entries(checked)) this.checked.inc({ what }, n);
    },
    initialise(tables: readonly string[]) {
      for (const outcome of ["ok", "failed"]) this.passes.inc({ outcome }, 0);
      for (const what of ["bookings", "nights", "movements", "deposits"]) this.checked.inc({ what }, 0);
      for (const table of tables) this.sweeps.inc({ table }, 0);
    },
  };
}

export type ReconcilerMetrics = ReturnType<typeof createReconcilerMetrics>;
