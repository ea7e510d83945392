// The shapes of measurement the bench and `pnpm bench:peers` share: a warm-up until the CPU per
// booking is stable, a ramp of offered rates until saturation, and a step at half saturation.
import { benchConfig } from "./config.js";
import type { BenchRooms } from "./saga.js";
import { round } from "./stats.js";
import type { Step, stepper } from "./steps.js";

type StepFn = ReturnType<typeof stepper>;

const { stepSeconds: STEP_SECONDS, rates: RATES, warmUpRate, warmUpMaxSteps } = benchConfig();

/** A step saturates when it completes under 90 % of what it is offered, sheds requests, or its p99 passes 2 s. */
export const saturated = (s: Step) => s.completedPerSecond < 0.9 * s.offered || s.shed > 0 || s.saga.p99 > 2_000;

/** Warm-up steps, at least three, of which the last three's CPU per booking is within 10 % of each other. */
const WARM_UP_SECONDS = 6;
const stable = (steps: Step[]) => {
  const last = steps.slice(-3).map((s) => s.cpuMsPerBooking.total);
  return last.length === 3 && Math.max(...last) <= 1.1 * Math.min(...last);
};

export interface WarmUp {
  rate: number;
  steps: Step[];
  /** Whether the CPU per booking settled before the steps ran out (`BENCH_WARMUP_MAX_STEPS`). */
  stable: boolean;
}

/**
 * Not recorded with the measurements, reported apart: steps at the warm-up rate until the CPU per
 * booking is stable, as JMH warms up before it measures. JIT compilation of the services, the
 * broker and the load generator, connection pools and consumer fetch sessions warm up, and what
 * set the run up (rooms, deposits, the ceilings' checkpoints) settles.
 */
export async function warmUp(run: StepFn, label: string, urls: string[], rooms: BenchRooms): Promise<WarmUp> {
  const steps: Step[] = [];
  while (steps.length < warmUpMaxSteps && !stable(steps)) {
    steps.push(await run(`${label} ${steps.length + 1}`, urls, rooms, warmUpRate, WARM_UP_SECONDS));
  }
  return { rate: warmUpRate, steps, stable: stable(steps) };
}

/** The offered rates from the first upwards, a step each, until one saturates: the steps run. */
async function rampUntilSaturated(run: StepFn, label: string, urls: string[], rooms: BenchRooms): Promise<Step[]> {
  const ramp: Step[] = [];
  for (const rate of RATES) {
    const result = await run(`${label} ${rate}/s`, urls, rooms, rate, STEP_SECONDS);
    ramp.push(result);
    if (saturated(result)) break;
  }
  return ramp;
}

/** 4 s at a rate, not recorded, so that the step after it measures the rate's steady state. */
export async function leadIn(run: StepFn, label: string, urls: string[], rooms: BenchRooms, rate: number) {
  await run(label, urls, rooms, rate, 4);
}

/** The largest p99/p50 of the ramp's steps offered at most `rate`, or null when there is none. */
export function tailUpTo(ramp: Step[], rate: number): number | null {
  const tails = ramp.filter((s) => s.offered <= rate).map((s) => s.saga.p99 / Math.max(1, s.saga.p50));
  return tails.length > 0 ? round(Math.max(...tails), 2) : null;
}

export interface Curve {
  ramp: Step[];
  saturation: number;
  /** Whether a step saturated; if none did, the saturation is a lower bound. */
  reached: boolean;
  halfRate: number;
  half: Step;
}

/**
 * A ramp until saturation, then `settleFirst` (the databases catch up with the heaviest step's
 * vacuum and checkpoint), a lead-in and a step at `halfRate` (half the saturation unless given).
 */
export async function curve(
  run: StepFn,
  label: string,
  urls: string[],
  rooms: BenchRooms,
  settleFirst: () => Promise<void>,
  halfRate?: number,
): Promise<Curve> {
  const ramp = await rampUntilSaturated(run, `${label} ramp`, urls, rooms);
  const saturation = Math.max(...ramp.map((s) => s.completedPerSecond));
  const last = ramp.at(-1);
  const reached = last !== undefined && saturated(last);
  const rate = halfRate ?? Math.max(10, Math.round(saturation / 2));
  await settleFirst();
  await leadIn(run, `${label} lead-in`, urls, rooms, rate);
  const half = await run(`${label} ${rate}/s`, urls, rooms, rate, 10);
  return { ramp, saturation, reached, halfRate: rate, half };
}
