// One measured step of the bench: a load at a fixed offered rate for some seconds, run by the load
// generator as its own process, then waited on until every accepted booking is final.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ROOT } from "@saga/ops/local";
import type { LoadPlan, LoadResult } from "./load.js";
import { type BenchRooms, waitSettled } from "./saga.js";
import { round, type Summary, summarize } from "./stats.js";
import { adminUrl, benchSigning, type CpuPart, cpuReading, cpuSpent, cpuTicks, pool, stealPercent } from "./system.js";

const exec = promisify(execFile);

/** Runs the load generator as its own process, so it does not share an event loop with the services. */
export async function load(plan: LoadPlan): Promise<LoadResult> {
  const { stdout } = await exec(process.execPath, ["--import", "tsx", "bench/load.ts", JSON.stringify(plan)], {
    cwd: ROOT,
    maxBuffer: 256 * 1024 * 1024,
    timeout: 600_000,
  });
  return JSON.parse(stdout) as LoadResult;
}

export interface Step {
  label: string;
  offered: number;
  accepted: number;
  acceptedPerSecond: number;
  completedPerSecond: number;
  http: Summary;
  saga: Summary;
  errors: number;
  shed: number;
  /** CPU time the hypervisor gave to other machines during the step (% of this machine's): noise. */
  stealPercent: number;
  /**
   * CPU milliseconds per completed booking, from the step's start until its last booking was
   * final: the service instances, PostgreSQL's processes, the broker, and their sum.
   */
  cpuMsPerBooking: Record<CpuPart | "total", number>;
  /** Every latency of the step, for the charts, and the accepted bookings' ids; left out of the JSON. */
  raw: { http: number[]; saga: number[]; ids: string[] };
}

/** `step(label, urls, rooms, rate, seconds)` on the services of `env`, reporting with `progress`. */
export const stepper =
  (env: NodeJS.ProcessEnv, progress: (message: string) => void, servicePids: () => number[]) =>
  async (label: string, urls: string[], rooms: BenchRooms, rate: number, seconds: number): Promise<Step> => {
    const count = Math.round(rate * seconds);
    const cpuBefore = cpuTicks();
    const spentBefore = cpuReading(servicePids());
    const perInstance = urls.map((url) =>
      load({
        url,
        rate: rate / urls.length,
        count: Math.round(count / urls.length),
        roomIds: rooms.roomIds,
        stays: rooms.stays,
        signing: benchSigning(env),
      }),
    );
    const results = await Promise.all(perInstance);
    const ids = results.flatMap((r) => r.acceptedIds);
    const db = pool(adminUrl(env.RESERVATION_DATABASE_URL));
    try {
      const done = await waitSettled(db, ids);
      const spent = cpuSpent(spentBefore, cpuReading(servicePids()));
      const steal = stealPercent(cpuBefore, cpuTicks());
      const started = Math.min(...results.map((r) => r.startedAt));
      const ended = Math.max(...results.map((r) => r.endedAt));
      const result: Step = {
        label,
        offered: rate,
        accepted: ids.length,
        acceptedPerSecond: round(ids.length / ((ended - started) / 1000)),
        completedPerSecond: round(done.final / ((done.lastCompletedAt - started) / 1000)),
        http: summarize(results.flatMap((r) => r.latenciesMs)),
        saga: summarize(done.sagaLatenciesMs),
        errors: results.reduce((sum, r) => sum + r.errors, 0) + (ids.length - done.final),
        shed: results.reduce((sum, r) => sum + r.shed, 0),
        stealPercent: round(steal),
        cpuMsPerBooking: Object.fromEntries(
          Object.entries(spent).map(([part, ms]) => [part, round(ms / Math.max(1, done.final), 2)]),
        ) as Step["cpuMsPerBooking"],
        raw: { http: results.flatMap((r) => r.latenciesMs), saga: done.sagaLatenciesMs, ids },
      };
      progress(
        `${label}: offered ${rate}/s, accepted ${result.acceptedPerSecond}/s, completed ${result.completedPerSecond}/s, saga p99 ${round(result.saga.p99)} ms, CPU ${result.cpuMsPerBooking.total} ms/booking, CPU stolen ${round(steal)} %`,
      );
      return result;
    } finally {
      await db.end();
    }
  };
