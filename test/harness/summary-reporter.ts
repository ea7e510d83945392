import type { Reporter, TestModule } from "vitest/node";
import "./fault-meta.js";

const COLUMNS = [
  "attempted",
  "accepted",
  "completed",
  "multiRoomHeld",
  "duplicatesApplied",
  "nightsLost",
  "nightsDoubleTaken",
  "moneyLost",
  "moneyDoubled",
  "partialHolds",
] as const;

/**
 * Ends the run with the fault table (one line per fault test that ran) and one plain line,
 * `tests: N passed, N failed, N skipped`, that any CI can read.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const faults = [];
    for (const module of testModules) {
      const tests = [...module.children.allTests()];
      for (const test of tests) {
        const state = test.result().state;
        if (state === "passed") counts.passed++;
        else if (state === "failed") counts.failed++;
        else counts.skipped++;
        const fault = test.meta().fault;
        if (fault) faults.push({ ...fault, passed: state === "passed" });
      }
      if (module.state() === "failed" && tests.length === 0) counts.failed++;
    }
    if (faults.length > 0) {
      const width = Math.max(...faults.map((f) => f.fault.length));
      const lines = faults.map(
        (f) =>
          `fault: ${f.fault.padEnd(width)}  ${COLUMNS.map((c) => `${c} ${f[c]}`).join(", ")}${f.passed ? "" : "  (FAILED)"}`,
      );
      process.stdout.write(`\n${lines.join("\n")}\n`);
    }
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
