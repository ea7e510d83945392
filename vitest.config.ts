import { defineConfig } from "vitest/config";

const shared = {
  globalSetup: ["test/harness/global-setup.ts"],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  teardownTimeout: 60_000,
};

/**
 * How many test files run at once. Every file starts systems of its own (databases, topics, groups,
 * processes): nothing is shared but the machine, and most of a file's time is waiting on Kafka and
 * PostgreSQL, so more files than cores run at once. TEST_WORKERS overrides it.
 */
const workers = (fallback: number) => Number(process.env.TEST_WORKERS ?? fallback);

export default defineConfig({
  test: {
    reporters: ["default", "./test/harness/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts"],
          ...shared,
          maxWorkers: workers(4),
        },
      },
      {
        test: {
          // Faults stop brokers, kill processes and cut connections, each on a system of its own; they
          // run after the integration files, two at a time, so their timings are not squeezed.
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          ...shared,
          testTimeout: 300_000,
          maxWorkers: workers(2),
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
