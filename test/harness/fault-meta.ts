import type { FaultReport } from "./fault-system.js";

declare module "vitest" {
  interface TaskMeta {
    fault?: FaultReport;
  }
}
