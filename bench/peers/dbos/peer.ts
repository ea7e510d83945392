// The bench's peer: the same booking as a DBOS Transact workflow on PostgreSQL, a measuring stick
// for the saga, not a product path (bench only). Its front is the services' own: createFastify,
// the same token check and the same body schema on POST /reservations. Behind it, one workflow of
// three steps, each a DBOS step (DBOS.runStep) on node-postgres:
//   1. insert the booking, PENDING, in the reservation database;
//   2. take every night of the stay in the room database, all or nothing, with the room service's
//      own statements (the room's lock, its nights, takeNights);
//   3. set the booking's status.
// The answer (202, PENDING) goes out once step 1 is done, as the saga answers once its booking is
// stored: the handler waits for the workflow's "accepted" event (DBOS.setEvent/getEvent).
//
// DBOS settings: DBOS.setConfig({ name: "hotel-bench-peer", systemDatabaseUrl }); everything else
// is DBOS's default (docs/benchmarks.md lists them). Run by bench/run.ts:
//   node --import tsx bench/peers/dbos/peer.ts   with PEER_PORT, PEER_RESERVATION_DATABASE_URL,
//   PEER_ROOM_DATABASE_URL, PEER_SYSTEM_DATABASE_URL and AUTH_JWT_SECRET set.
import { randomUUID } from "node:crypto";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { eachNight } from "@saga/contracts";
import { loadAuthConfig } from "@saga/platform/config";
import { authPlugin, createFastify } from "@saga/platform/http";
import { type NewReservation, newReservationBody } from "@saga/reservation/schemas";
import { takeNights } from "@saga/room/queries";
import pg from "pg";

const env = process.env;
const reservations = new pg.Pool({ connectionString: env.PEER_RESERVATION_DATABASE_URL });
const rooms = new pg.Pool({ connectionString: env.PEER_ROOM_DATABASE_URL });

interface Booking {
  id: string;
  guestId: string;
  roomId: string;
  guestName: string;
  checkIn: string;
  checkOut: string;
}

async function insertBooking(b: Booking): Promise<void> {
  await reservations.query(
    `INSERT INTO "reservations" ("id", "guest_id", "room_id", "guest_name", "check_in", "check_out", "status",
       "deadline_at", "updated_at")
     VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', now() + interval '30 seconds', now())`,
    [b.id, b.guestId, b.roomId, b.guestName, b.checkIn, b.checkOut],
  );
}

/** All or nothing, as the room service decides: under the room's lock, every night must have a unit left. */
async function takeTheNights(b: Booking): Promise<"SUCCESS" | "NO_AVAILABILITY" | "ROOM_NOT_FOUND"> {
  const client = await rooms.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const room = await client.query<{ units: number }>(
      `SELECT "units" FROM "rooms" WHERE "id" = $1 FOR NO KEY UPDATE`,
      [b.roomId],
    );
    const units = room.rows[0]?.units;
    if (units === undefined) {
      await client.query("ROLLBACK");
      return "ROOM_NOT_FOUND";
    }
    const full = await client.query(
      `SELECT 1 FROM "room_nights" WHERE "room_id" = $1 AND "date" >= $2 AND "date" < $3 AND "taken" >= $4 LIMIT 1`,
      [b.roomId, b.checkIn, b.checkOut, units],
    );
    if (full.rowCount) {
      await client.query("ROLLBACK");
      return "NO_AVAILABILITY";
    }
    const dates = eachNight(b.checkIn, b.checkOut);
    const statement = takeNights({ roomIds: dates.map(() => b.roomId), dates, changes: dates.map(() => 1) }, [
      { reservationId: b.id, roomId: b.roomId, checkIn: b.checkIn, checkOut: b.checkOut },
    ]);
    await client.query(statement);
    await client.query("COMMIT");
    return "SUCCESS";
  } catch (err) {
    // A connection that cannot even roll back is broken: the pool destroys it instead of reusing it.
    broken = await client.query("ROLLBACK").then(
      () => undefined,
      (rollbackErr: Error) => rollbackErr,
    );
    throw err;
  } finally {
    client.release(broken);
  }
}

async function setStatus(id: string, outcome: "SUCCESS" | "NO_AVAILABILITY" | "ROOM_NOT_FOUND"): Promise<void> {
  const [status, reason] = outcome === "SUCCESS" ? ["SUCCESS", null] : ["FAILURE", outcome];
  await reservations.query(
    `UPDATE "reservations" SET "status" = $2::"ReservationStatus", "reason" = $3, "completed_at" = now(),
       "updated_at" = now() WHERE "id" = $1`,
    [id, status, reason],
  );
}

const bookRoom = DBOS.registerWorkflow(
  async (b: Booking) => {
    await DBOS.runStep(() => insertBooking(b), { name: "insertBooking" });
    await DBOS.setEvent("accepted", true);
    const outcome = await DBOS.runStep(() => takeTheNights(b), { name: "takeNights" });
    await DBOS.runStep(() => setStatus(b.id, outcome), { name: "setStatus" });
    return outcome;
  },
  { name: "bookRoom" },
);

const app = createFastify({ logger: false });
// The rate limit is not the peer's to measure (the bench raises the services' out of its way too).
await app.register(authPlugin, { config: { ...loadAuthConfig(env), anonymousPerMinute: 1_000_000 } });
app.post<{ Body: NewReservation }>(
  "/reservations",
  { ...app.guestOnly, schema: { body: newReservationBody } },
  async (request, reply) => {
    const id = randomUUID();
    const booking = { id, guestId: request.principal?.id ?? "", ...request.body };
    await DBOS.startWorkflow(bookRoom, { workflowID: id })(booking);
    await DBOS.getEvent(id, "accepted", 30);
    return reply.status(202).send({ id, status: "PENDING" });
  },
);

// Ready once it listens: that comes after DBOS.launch().
app.get("/ready", async () => ({ ready: true }));

DBOS.setConfig({ name: "hotel-bench-peer", systemDatabaseUrl: env.PEER_SYSTEM_DATABASE_URL });
await DBOS.launch();
await app.listen({ host: "127.0.0.1", port: Number(env.PEER_PORT ?? 3200) });

const stop = async () => {
  await app.close();
  await DBOS.shutdown();
  await Promise.all([reservations.end(), rooms.end()]);
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
