import { count, parseEnv } from "@saga/platform";
import { z } from "zod";
import { stackConfig } from "../scripts/stack-config.js";

const rateList = z
  .string()
  .regex(/^\d+(,\d+)*$/, "must be offered rates per second, comma separated")
  .transform((value) => value.split(",").map(Number));

const benchEnv = z.object({
  /** Seconds each ramp step offers its rate. */
  BENCH_STEP_SECONDS: count(3_600).default(6),
  /** The offered rates of the ramp, bookings per second. */
  BENCH_RATES: rateList.default([50, 100, 200, 300, 400, 600, 800, 1000, 1200, 1600]),
  /** A folder for `--cpu-prof` profiles of the bench's service processes. */
  BENCH_CPU_PROF: z.string().min(1).optional(),
});

/** The bench's one validated configuration, with the stack's Kafka. */
export function benchConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = parseEnv(benchEnv, env);
  return {
    stepSeconds: e.BENCH_STEP_SECONDS,
    rates: e.BENCH_RATES,
    cpuProfileDir: e.BENCH_CPU_PROF,
    kafkaBrokers: stackConfig(env).kafkaBrokers,
  };
}
