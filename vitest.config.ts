import { defineConfig } from "vitest/config";

const shared = {
  globalSetup: ["test/harness/global-setup.ts"],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  teardownTimeout: 60_000,
};

export default defineConfig({
  test: {
    reporters: ["default", "./test/harness/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "services/*/src/**/*.test.ts"],
          ...shared,
        },
      },
      {
        test: {
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          fileParallelism: false,
          ...shared,
          testTimeout: 300_000,
        },
      },
    ],
  },
});
