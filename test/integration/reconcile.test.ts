import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
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
  prepaid,
  reconcile,
  startSystem,
  waitForStatus,
} from "../harness/index.js";

/** Runs statements as the databases' superuser, as an accident or a bad fix by hand would. */
async function tamper(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}

describe("pnpm reconcile", () => {
  let system: AppSystem;
  const booked: Record<string, string> = {};
  beforeAll(async () => {
    system = await startSystem();
    const guest = `guest-${crypto.randomUUID()}`;
    await creditDeposit(system.payment, guest, 100_000);
    const paid = await createRoom(system.room, { units: 2, ...prepaid(10_000) });
    const plain = await createRoom(system.room, { units: 1 });
    for (const [name, roomId] of [
      ["paid", paid.id],
      ["charged", paid.id],
      ["plain", plain.id],
    ] as const) {
      const b = await book(system.reservation, aBooking({ roomId, ...aStay(2) }), asGuest(guest));
      booked[name] = b.id;
    }
    const declined = await book(
      system.reservation,
      aBooking({ roomId: paid.id, ...aStay(2) }),
      asGuest(`guest-${crypto.randomUUID()}`),
    );
    booked.declined = declined.id;
    for (const id of Object.values(booked)) await waitForStatus(system.reservation, id, FINAL);
  });
  afterAll(() => system?.close());

  it("when the saga left every booking, night and payment consistent, then it prints no discrepancy and exits 0", async () => {
    const { code, output } = await reconcile(system.databases);

    expect(output.trim()).toMatch(/^reconcile: no discrepancy over 4 bookings \(FAILURE 1, SUCCESS 3\), ledger sum 0$/);
    expect(code).toBe(0);
  });

  it("when rooms, bookings and money disagree, then it prints one line naming each booking, room or movement, and exits 1", async () => {
    // A SUCCESS booking's hold lost; a charged booking marked FAILURE by hand; an unbalanced entry slipped in.
    await tamper(system.databases.room, `DELETE FROM "holds" WHERE "reservation_id" = $1`, [booked.paid]);
    await tamper(system.databases.reservation, `UPDATE "reservations" SET "status" = 'FAILURE' WHERE "id" = $1`, [
      booked.charged,
    ]);
    // The ledger refuses an unbalanced movement at commit: only with its trigger off does one get in.
    const unbalanced = `INSERT INTO "entries" ("movement_id", "account_id", "amount")
                        SELECT "movement_id", "account_id", 1 FROM "entries" LIMIT 1`;
    await expect(tamper(system.databases.payment, unbalanced)).rejects.toThrow(/balance|sum/i);
    await tamper(
      system.databases.payment,
      `ALTER TABLE "entries" DISABLE TRIGGER "entries_balanced";
       ${unbalanced};
       ALTER TABLE "entries" ENABLE TRIGGER "entries_balanced";`,
    );

    const { code, output } = await reconcile(system.databases);

    const lines = output.trim().split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        `booking ${booked.paid} SUCCESS: the room service holds no nights for it (hold none)`,
        `booking ${booked.charged} FAILURE: the room service still holds its nights`,
        `booking ${booked.charged} FAILURE: charged 20000 net, expected 0 (minor units)`,
        expect.stringMatching(/^room \S+ night \d{4}-\d{2}-\d{2}: 1 taken, but 0 held by bookings$/),
        "ledger: its entries sum to 1, not 0",
        expect.stringMatching(/^movement \S+: its entries sum to 1, not 0$/),
        expect.stringMatching(/^reconcile: \d+ discrepancies over 4 bookings/),
      ]),
    );
    expect(code).toBe(1);
  });

  it("when it is given some database URLs but not all, then it says which it needs and exits 2", async () => {
    const failed = await promisify(execFile)(process.execPath, [
      "--import",
      "tsx",
      "scripts/reconcile.ts",
      "--room",
      system.databases.room,
    ]).catch((err: { code: number; stderr: string }) => err);

    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(/^reconcile: give the URLs of all three databases/);
  });
});
