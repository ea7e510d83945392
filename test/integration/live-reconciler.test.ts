import { parseMetrics, sampleValue } from "@saga/ops/metrics";
import { createReconciler, createReconcilerMetrics, type Reconciler } from "@saga/ops/reconciler";
import { createFastify } from "@saga/platform/http";
import { openPool, sqlOn } from "@saga/platform/sql";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  asGuest,
  book,
  createRoom,
  creditDeposit,
  FINAL,
  operatorDatabaseUrls,
  prepaid,
  queryRows,
  startSystem,
  waitForStatus,
} from "../harness/index.js";

/** Runs a statement as the databases' superuser, as a fix by hand would. */
const byHand = (url: string, text: string, values: unknown[] = []) => queryRows(url, text, values);

// The reconciler's passes driven one at a time (its loop is not started) over a system's databases,
// as the operators' role, with a sweep of one key per table per pass: what a pass finds comes from
// the logs of what changed, from the sweep, or from the discrepancies it already holds open.
describe("the live reconciler", () => {
  let system: AppSystem;
  let pools: pg.Pool[];
  let reconciler: Reconciler;
  let metrics: ReturnType<typeof createReconcilerMetrics>;
  const guest = `guest-${crypto.randomUUID()}`;
  let roomId: string;
  const booked: string[] = [];

  const bookOne = async () => {
    const b = await book(system.reservation, aBooking({ roomId, ...aStay(2) }), asGuest(guest));
    await waitForStatus(system.reservation, b.id, FINAL);
    booked.push(b.id);
    return b.id;
  };
  const discrepancies = async (kind: string) =>
    sampleValue(parseMetrics(await metrics.registry.metrics()), "saga_invariant_discrepancies", { kind });
  const sweepsCompleted = async () =>
    parseMetrics(await metrics.registry.metrics())
      .filter((s) => s.name === "reconciler_sweeps_completed_total")
      .map((s) => s.value);
  /**
   * Passes until the sweep has walked every table through at least once from wherever its cursor
   * stood: each sweep has wrapped twice (it wraps on a slice shorter than its rows).
   */
  const passesForAWholeSweep = async () => {
    const before = await sweepsCompleted();
    for (let i = 0; i < 200; i++) {
      await reconciler.pass();
      if ((await sweepsCompleted()).every((n, table) => n >= (before[table] ?? 0) + 2)) return;
    }
    throw new Error("the sweep did not walk every table in 200 passes");
  };

  beforeAll(async () => {
    system = await startSystem();
    await creditDeposit(system.payment, guest, 1_000_000);
    roomId = (await createRoom(system.room, { units: 5, ...prepaid(10_000) })).id;
    for (let i = 0; i < 4; i++) await bookOne();
    const urls = operatorDatabaseUrls(system.databases);
    const log = createFastify({ logger: false }).log;
    pools = Object.values(urls).map((url) => openPool(url, "background", 2, log));
    const [room, reservation, payment] = pools.map(sqlOn) as [
      ReturnType<typeof sqlOn>,
      ReturnType<typeof sqlOn>,
      ReturnType<typeof sqlOn>,
    ];
    metrics = createReconcilerMetrics();
    reconciler = createReconciler(
      { room, reservation, payment },
      { intervalMs: 1_000, sweepRows: 1, logRows: 1_000 },
      metrics,
      log,
    );
  });
  afterAll(async () => {
    await Promise.all((pools ?? []).map((p) => p.end()));
    await system?.close();
  });

  it("when the saga left everything consistent, then a whole sweep finds no discrepancy and every kind reads 0", async () => {
    await passesForAWholeSweep();

    expect(reconciler.discrepancies()).toEqual([]);
    expect(await discrepancies("night")).toBe(0);
    expect(await discrepancies("money")).toBe(0);
  });

  it("when nothing changed, then a pass checks only its sweep's slice, however many bookings are stored", async () => {
    const { checked } = await reconciler.pass();

    // One booking and one payment key from the sweep; no log row names any booking.
    expect(checked.bookings).toBeLessThanOrEqual(2);
    expect(checked.movements).toBeLessThanOrEqual(1);
  });

  it("when a booking's hold is deleted by hand after it succeeded, then the next two passes find it through its history, ahead of the sweep", async () => {
    const id = await bookOne();
    await byHand(system.databases.room, `DELETE FROM "holds" WHERE "reservation_id" = $1`, [id]);

    // Its history names it to the first pass, which suspects it; the second sees it again and counts it.
    const first = await reconciler.pass();
    expect(first.confirmed).toEqual([]);
    expect(first.suspected).toBeGreaterThanOrEqual(1);
    const second = await reconciler.pass();
    expect(second.confirmed.map((d) => d.line)).toContain(
      `booking ${id} SUCCESS: the room service holds no nights for it (hold none)`,
    );
    expect(await discrepancies("hold")).toBe(1);
    // Its nights are taken by no hold now.
    expect(await discrepancies("night")).toBe(2);
  });

  it("when the hold is put back, then the next pass clears every discrepancy it caused", async () => {
    const id = booked.at(-1) as string;
    const [b] = await queryRows<{ checkIn: string; checkOut: string }>(
      system.databases.reservation,
      `SELECT "check_in"::text AS "checkIn", "check_out"::text AS "checkOut" FROM "reservations" WHERE "id" = $1`,
      [id],
    );
    await byHand(
      system.databases.room,
      `INSERT INTO "holds" ("reservation_id", "room_id", "check_in", "check_out", "status") VALUES ($1, $2, $3, $4, 'HELD')`,
      [id, roomId, b?.checkIn, b?.checkOut],
    );

    const { confirmed } = await reconciler.pass();

    expect(confirmed).toEqual([]);
    expect(await discrepancies("hold")).toBe(0);
    expect(await discrepancies("night")).toBe(0);
  });

  it("when a night's count is changed by hand, which no log records, then the sweep finds it within one walk of the table", async () => {
    const [night] = await queryRows<{ date: string }>(
      system.databases.room,
      `SELECT "date"::text AS "date" FROM "room_nights" WHERE "room_id" = $1 ORDER BY "date" DESC LIMIT 1`,
      [roomId],
    );
    await byHand(
      system.databases.room,
      `UPDATE "room_nights" SET "taken" = "taken" + 1 WHERE "room_id" = $1 AND "date" = $2`,
      [roomId, night?.date],
    );

    await passesForAWholeSweep();
    await reconciler.pass();

    expect(reconciler.discrepancies().map((d) => d.line)).toContainEqual(
      expect.stringMatching(new RegExp(`^room ${roomId} night ${night?.date}: \\d+ taken, but \\d+ held by bookings$`)),
    );
    expect(await discrepancies("night")).toBe(1);

    await byHand(
      system.databases.room,
      `UPDATE "room_nights" SET "taken" = "taken" - 1 WHERE "room_id" = $1 AND "date" = $2`,
      [roomId, night?.date],
    );
    await reconciler.pass();
    expect(await discrepancies("night")).toBe(0);
  });

  it("when a booking looks wrong to one pass only (its saga moved between two reads), then it is never counted", async () => {
    const id = await bookOne();
    await byHand(system.databases.reservation, `UPDATE "reservations" SET "status" = 'FAILURE' WHERE "id" = $1`, [id]);
    const first = await reconciler.pass();
    expect(first.suspected).toBeGreaterThanOrEqual(1);
    await byHand(system.databases.reservation, `UPDATE "reservations" SET "status" = 'SUCCESS' WHERE "id" = $1`, [id]);

    const second = await reconciler.pass();

    expect(second.confirmed).toEqual([]);
    expect(second.suspected).toBe(0);
    expect(await discrepancies("hold")).toBe(0);
    expect(await discrepancies("money")).toBe(0);
  });
});
