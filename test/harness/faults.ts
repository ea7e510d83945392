import { randomUUID } from "node:crypto";
import { checkInvariant, type InvariantReport, runReconcile } from "@saga/ops/invariant";
import { checkSubjects, noSubjects } from "@saga/ops/reconciler";
import { createFastify } from "@saga/platform/http";
import { openPool, type Sql, sqlOn } from "@saga/platform/sql";
import pg from "pg";
import { expect } from "vitest";
import { operatorDatabaseUrls } from "./access.js";
import type { Databases } from "./databases.js";
import { aStay } from "./factories.js";
import { http } from "./processes.js";
import { FINAL } from "./saga.js";
import { queryNumber } from "./sql.js";
import type { ProcessSystem } from "./system.js";
import { asGuest, asStaff } from "./tokens.js";
import { waitFor } from "./wait.js";

/**
 * The common start of a fault test: rooms of 2, 3, 5 and 8 units (those of 3 and 8 prepaid, the
 * others paid at the hotel), the guests' deposits funded (but every tenth guest's, whose prepaid
 * bookings are declined), a paced burst of bookings over them, and a wait until `before` of them
 * were accepted, so the fault lands mid-burst with money moving.
 */
export async function burstUnderway(system: ProcessSystem, count: number, perSecond: number, before: number) {
  const rooms = await createRooms(system, [2, 3, 5, 8], [3, 8]);
  await fundGuests(system, count);
  const load = burst(system, rooms, count, perSecond);
  await untilAccepted(load, before, "bookings accepted before the fault");
  return { rooms, load };
}

export function untilAccepted(load: Burst, count: number, what: string): Promise<number> {
  return waitFor(
    async () => load.accepted.length,
    (n) => n >= count,
    { what },
  );
}

/**
 * Once a killed or stopped service is back, books `count` more stays and waits for them: every one
 * must be accepted, whatever became of the first burst while the service was down (on a slow machine
 * its paced requests may all have run out against the stopped service). Returns both bursts as one,
 * for the wait and the fault report.
 */
export async function bookAfterRestart(system: ProcessSystem, roomIds: string[], load: Burst, count = 20) {
  await load.done;
  const after = burst(system, roomIds, count, 20, 4);
  await after.done;
  expect(after.accepted, "bookings accepted once the service is back").toHaveLength(count);
  return {
    attempted: load.attempted + after.attempted,
    accepted: [...load.accepted, ...after.accepted],
    refused: load.refused + after.refused,
    done: after.done,
  } satisfies Burst;
}

/** What a night of a prepaid fault room costs, in cents: a burst's stays are 1 to 3 nights. */
const NIGHTLY = 9_000;
/** The burst's guest `i`, and whether their deposit is funded (every tenth is not: their charges are declined). */
const burstGuest = (i: number) => ({ id: `guest-${i}`, funded: i % 10 !== 9 });

/** Rooms of the given units; those whose units are in `prepaid` sell prepaid nights at NIGHTLY. */
export async function createRooms(system: ProcessSystem, unitsEach: number[], prepaid: number[] = []) {
  const ids: string[] = [];
  for (const units of unitsEach) {
    const plan = prepaid.includes(units)
      ? {
          nightlyRate: { amount: NIGHTLY, currency: "EUR" },
          payment: "PREPAID",
          cancellation: { freeUntilHours: 48, penaltyNights: 1 },
        }
      : {};
    const res = await http<{ id: string }>(`${system.url("room")}/rooms`, {
      method: "POST",
      json: { name: "Fault room", units, ...plan },
      headers: asStaff(),
    });
    if (res.status !== 201) throw new Error(`room not created: ${res.status}`);
    ids.push(res.body.id);
  }
  return ids;
}

/** Credits the deposits of the burst's first `count` guests that are funded, each with one stay's worth or two. */
export async function fundGuests(system: ProcessSystem, count: number, concurrency = 8) {
  const funded = Array.from({ length: count }, (_, i) => burstGuest(i)).filter((g) => g.funded);
  let next = 0;
  const worker = async () => {
    while (next < funded.length) {
      const guest = funded[next++] as { id: string };
      const res = await http(`${system.url("payment")}/accounts/${guest.id}/credits`, {
        method: "POST",
        json: { amount: 6 * NIGHTLY, currency: "EUR" },
        headers: asStaff(),
      });
      if (res.status !== 201) throw new Error(`deposit not credited: ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export interface Burst {
  attempted: number;
  accepted: string[];
  refused: number;
  done: Promise<void>;
}

/**
 * What the burst's booking `i` names: one room in turn, but every fourth books two rooms two apart
 * in the list (with createRooms' [2, 3, 5, 8] and [3, 8] prepaid: rooms of the same terms), a unit
 * of each, so multi-room holds race single ones for the last units under every fault.
 */
function roomsOf(roomIds: string[], i: number) {
  const roomId = roomIds[i % roomIds.length] as string;
  const other = roomIds[(i + 2) % roomIds.length] as string;
  if (i % 4 !== 3 || roomIds.length < 4) return { roomId };
  return {
    rooms: [
      { roomId, quantity: 1 },
      { roomId: other, quantity: 1 },
    ],
  };
}

/**
 * Books `count` stays over the given rooms at `perSecond` (paced, so a fault lands mid-burst),
 * `concurrency` at a time, against whatever reservation process runs at that moment, each as the
 * burst's guest `i`. Requests that fail while it is down count as refused, not accepted.
 */
export function burst(
  system: ProcessSystem,
  roomIds: string[],
  count: number,
  perSecond = 25,
  concurrency = 8,
  /** What a guest does next with a booking just accepted (a cancel, say), before booking again. */
  then?: (id: string) => Promise<void>,
): Burst {
  const state: Burst = { attempted: 0, accepted: [], refused: 0, done: Promise.resolve() };
  const stays = Array.from({ length: 4 }, (_, i) => aStay(1 + (i % 3), 500 + i * 2));
  const startedAt = Date.now();
  async function worker() {
    while (state.attempted < count) {
      const i = state.attempted++;
      const due = startedAt + (i * 1000) / perSecond - Date.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      try {
        const res = await http<{ id: string }>(`${system.url("reservation")}/reservations`, {
          method: "POST",
          json: { ...roomsOf(roomIds, i), guestName: `Guest ${i}`, ...stays[i % stays.length] },
          headers: { "idempotency-key": randomUUID(), ...asGuest(burstGuest(i).id) },
        });
        if (res.status === 202) {
          state.accepted.push(res.body.id);
          await then?.(res.body.id);
        } else state.refused++;
      } catch {
        state.refused++;
      }
    }
  }
  state.done = Promise.all(Array.from({ length: concurrency }, worker)).then(() => {});
  return state;
}

async function statuses(system: ProcessSystem, ids: string[]): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: system.databases.reservation });
  await client.connect();
  try {
    const { rows } = await client.query<{ status: string; count: number }>(
      `SELECT "status"::text AS "status", count(*)::int AS "count" FROM "reservations" WHERE "id" = ANY($1::uuid[]) GROUP BY 1`,
      [ids],
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.count]));
  } finally {
    await client.end();
  }
}

/** Waits until every accepted booking reached a final state. */
export async function waitAllFinal(
  system: ProcessSystem,
  ids: string[],
  timeoutMs = 120_000,
): Promise<Record<string, number>> {
  return waitFor(
    () => statuses(system, ids),
    (byStatus) => FINAL.reduce((sum, s) => sum + (byStatus[s] ?? 0), 0) === ids.length,
    { what: `${ids.length} bookings to reach a final state`, timeoutMs, intervalMs: 200 },
  );
}

/**
 * `pnpm reconcile` itself over a system's databases, as the run's operators' role: the lines it
 * printed and its exit code (0: no discrepancy; with `settled`, no booking still under way either).
 */
export function reconcile(databases: Databases, settled = true): Promise<{ code: number; output: string }> {
  return runReconcile(operatorDatabaseUrls(databases), settled);
}

/** The promise every fault test ends with: every accepted booking final, and rooms and bookings agree. */
export function expectNothingLost(
  report: FaultReport & { invariant: InvariantReport; reconcile: { code: number; output: string } },
  options = { allCompleted: true },
) {
  if (options.allCompleted) expect(report.completed).toBe(report.accepted);
  expect(report.reconcile.output).toMatch(/^reconcile: no discrepancy/m);
  expect(report.reconcile.code).toBe(0);
  expect(report.invariant).toMatchObject({
    nightMismatches: [],
    holdMismatches: [],
    overbooked: [],
    moneyMismatches: [],
    orphanPayments: [],
    ledger: { total: 0, unbalancedMovements: [], depositMismatches: [], paymentMismatches: [] },
  });
  expect(report).toMatchObject({
    duplicatesApplied: 0,
    nightsLost: 0,
    nightsDoubleTaken: 0,
    moneyLost: 0,
    moneyDoubled: 0,
    partialHolds: 0,
  });
}

export interface FaultReport {
  fault: string;
  attempted: number;
  accepted: number;
  completed: number;
  /** Bookings of several rooms that ended SUCCESS, each holding every unit it names (the invariant checks it). */
  multiRoomHeld: number;
  duplicatesApplied: number;
  nightsLost: number;
  nightsDoubleTaken: number;
  /** Minor units a final booking's net charge fell short of what its state says (a refund too large, a charge lost). */
  moneyLost: number;
  /** Minor units charged beyond what a final booking's state says (a charge taken twice, a refund not made). */
  moneyDoubled: number;
  /** Final bookings holding only some of their units, or other units than they name. */
  partialHolds: number;
}

/** The figures `pnpm test:faults` prints for one fault, from the invariant over its rooms. */
export async function faultReport(
  system: ProcessSystem,
  fault: string,
  load: Burst,
  roomIds: string[],
): Promise<FaultReport & { invariant: InvariantReport; reconcile: { code: number; output: string } }> {
  const invariant = await checkInvariant(system.databases, roomIds);
  const byStatus = await statuses(system, load.accepted);
  const completed = FINAL.reduce((sum, s) => sum + (byStatus[s] ?? 0), 0);
  // Over all of the system's databases, as an operator would after the fault: once every booking
  // of the burst is final, none may still be under way.
  const reconciled = await reconcile(system.databases, completed === load.accepted.length);
  const excess = invariant.nightMismatches.filter((n) => n.taken > n.held);
  const missing = invariant.nightMismatches.filter((n) => n.taken < n.held);
  const heldButFinished = invariant.holdMismatches.filter((m) => m.hold === "HELD");
  const successWithoutHold = invariant.holdMismatches.filter((m) => m.status === "SUCCESS" && m.hold !== "PARTIAL");
  const multiRoomHeld = await queryNumber(
    system.databases.reservation,
    `SELECT count(*) AS "n" FROM "reservations" WHERE "id" = ANY($1::uuid[]) AND "rooms" IS NOT NULL AND "status" = 'SUCCESS'`,
    [load.accepted],
  );
  return {
    fault,
    attempted: load.attempted,
    accepted: load.accepted.length,
    completed,
    multiRoomHeld,
    duplicatesApplied: excess.reduce((sum, n) => sum + n.taken - n.held, 0) + heldButFinished.length,
    nightsLost: missing.reduce((sum, n) => sum + n.held - n.taken, 0) + successWithoutHold.length,
    nightsDoubleTaken: invariant.overbooked.length,
    moneyLost: invariant.moneyMismatches.reduce((sum, m) => sum + Math.max(0, m.expected - m.net), 0),
    moneyDoubled: invariant.moneyMismatches.reduce((sum, m) => sum + Math.max(0, m.net - m.expected), 0),
    partialHolds: invariant.holdMismatches.filter((m) => m.hold === "PARTIAL").length,
    invariant,
    reconcile: reconciled,
  };
}

/** The live reconciler's check of the given bookings, on connections of its own (as it runs beside the services). */
export async function liveCheck(databases: Databases, reservationIds: string[]): Promise<InvariantReport> {
  const names = ["reservation", "room", "payment"] as const;
  const pools = names.map((name) => openPool(databases[name], "background", 1, createFastify().log));
  try {
    const [reservation, room, payment] = pools.map(sqlOn) as [Sql, Sql, Sql];
    const subjects = { ...noSubjects(), bookings: new Set(reservationIds) };
    return (await checkSubjects({ reservation, room, payment }, subjects)).report;
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
}
