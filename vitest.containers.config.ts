// `pnpm test:containers`: the saga's integration tests and the container faults, with Kafka and
// PostgreSQL started by testcontainers (TEST_INFRA=containers) instead of the local broker.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "containers",
    reporters: ["default", "./test/harness/summary-reporter.ts"],
    globalSetup: ["test/harness/global-setup.ts"],
    include: [
      "test/integration/booking-saga.test.ts",
      "test/integration/no-overselling.test.ts",
      "test/integration/redelivery.test.ts",
      "test/integration/dead-letter.test.ts",
      "test/integration/multiple-instances.test.ts",
      "test/containers/**/*.test.ts",
    ],
    // The faults stop the broker containers they start; one file at a time keeps their timing honest.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});
