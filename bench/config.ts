import { stackConfig } from "@saga/ops/local";
import { count, parseEnv } from "@saga/platform/config";
import { z } from "zod";

const rateList = z
  .string()
  .regex(/^\d+(,\d+)*$/, "must be offered rates per second, comma separated")
  .transform((value) => value.split(",").map(Number));

/** How the DBOS peer runs its database work: `DBOS.runStep` on node-postgres, or DBOS transactions through a datasource. */
export const PEER_KINDS = ["steps", "transactions"] as const;

const benchEnv = z.object({
  /** Seconds each ramp step offers its rate. */
  BENCH_STEP_SECONDS: count(3_600).default(6),
  /** The offered rates of the ramp, bookings per second. */
  BENCH_RATES: rateList.default([50, 100, 200, 300, 400, 600, 800, 1000, 1200, 1600]),
  /** Of the mixed load (the warm-up, stored growth, instances), the share that books prepaid rooms. */
  BENCH_PREPAID_SHARE: z.coerce.number().min(0).max(1).default(0.5),
  /** The warm-up: steps at this rate until the CPU per booking is stable, at most this many. */
  BENCH_WARMUP_RATE: count(100_000).default(100),
  BENCH_WARMUP_MAX_STEPS: count(100).default(12),
  /** The DBOS peer's kind (PEER_KINDS). */
  BENCH_PEER: z.enum(PEER_KINDS).default("steps"),
  /** `pnpm bench:peers`: how many times both kinds of peer run, one after the other. */
  BENCH_PEER_ROUNDS: count(20).default(1),
  /** `pnpm bench:security`: rounds of each mode, the fixed rate and the saturating one. */
  BENCH_AB_ROUNDS: count(20).default(3),
  BENCH_AB_RATE: count(100_000).default(300),
  BENCH_AB_PROBE_RATE: count(100_000).default(1_200),
  /** `pnpm bench:steady`: its one offered rate and the steps measured at it (after a warm-up step). */
  BENCH_STEADY_RATE: count(100_000).default(50),
  BENCH_STEADY_STEPS: count(100).default(3),
  /** `pnpm bench:steady`: 2 starts a second instance of each service after the warm-up step. */
  BENCH_STEADY_INSTANCES: z.enum(["1", "2"]).default("1").transform(Number),
  /** Node or V8 flags for the bench's service processes only (an A/B of, say, `--max-semi-space-size=32`). */
  BENCH_NODE_FLAGS: z
    .string()
    .regex(/^(--[a-z0-9-]+(=[\w.-]+)?( |$))*$/, "must be flags, each --name or --name=value, space separated")
    .default("")
    .transform((flags) => flags.split(" ").filter(Boolean)),
  /** A folder for `--cpu-prof` profiles of the bench's service processes. */
  BENCH_CPU_PROF: z.string().min(1).optional(),
});

/** The bench's one validated configuration, with the stack's Kafka. */
export function benchConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = parseEnv(benchEnv, env);
  return {
    stepSeconds: e.BENCH_STEP_SECONDS,
    rates: e.BENCH_RATES,
    prepaidShare: e.BENCH_PREPAID_SHARE,
    warmUpRate: e.BENCH_WARMUP_RATE,
    warmUpMaxSteps: e.BENCH_WARMUP_MAX_STEPS,
    peerKind: e.BENCH_PEER,
    peerRounds: e.BENCH_PEER_ROUNDS,
    cpuProfileDir: e.BENCH_CPU_PROF,
    nodeFlags: e.BENCH_NODE_FLAGS,
    abRounds: e.BENCH_AB_ROUNDS,
    abRate: e.BENCH_AB_RATE,
    abProbeRate: e.BENCH_AB_PROBE_RATE,
    steadyRate: e.BENCH_STEADY_RATE,
    steadySteps: e.BENCH_STEADY_STEPS,
    steadyInstances: e.BENCH_STEADY_INSTANCES,
    kafkaBrokers: stackConfig(env).kafkaBrokers,
  };
}
