import type { FaultReport } from "./faults.js";

declare module "vitest" {
  interface TaskMeta {
    fault?: FaultReport;
  }
}
