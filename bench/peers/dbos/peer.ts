// The bench's peer: the same booking as a DBOS Transact workflow on PostgreSQL, a measuring stick
// for the saga, not a product path (bench only). Its front is the services' own: createFastify,
// the same token check and the same body schema on POST /reservations. Behind it, one workflow
// whose every database transaction is a step (booking.ts says what each does; transact.ts how
// each kind runs it):
//   1. insert the booking, PENDING, in the reservation database;
//   2. take every night of the stay in the room database, all or nothing, and price them, with the
//      room service's own statements and pricing;
//   3. a prepaid booking: charge the guest's deposit in the payment database, with the payment
//      service's own decision and ledger statement; declined, give the nights back;
//   4. set the booking's final state (SUCCESS with its price and charge, or FAILURE and why).
// The answer (202, PENDING) goes out once step 1 is done, as the saga answers once its booking is
// stored: the handler waits for the workflow's "accepted" event (DBOS.setEvent/getEvent).
//
// DBOS settings: DBOS.setConfig({ name: "hotel-bench-peer", systemDatabaseUrl }); everything else
// is DBOS's default (docs/benchmarks.md lists them). Started by run.ts (startDbosPeer):
//   node --import tsx bench/peers/dbos/peer.ts   with PEER_KIND, PEER_PORT, PEER_RESERVATION_DATABASE_URL,
//   PEER_ROOM_DATABASE_URL, PEER_PAYMENT_DATABASE_URL, PEER_SYSTEM_DATABASE_URL and AUTH_JWT_SECRET set.
import { randomUUID } from "node:crypto";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { loadAuthConfig, parseEnv, port } from "@saga/platform/config";
import { authPlugin, createFastify } from "@saga/platform/http";
import { type NewReservation, newReservationBody } from "@saga/reservation/schemas";
import { z } from "zod";
import { PEER_KINDS } from "../../config.js";
import {
  type Booking,
  chargeTheDeposit,
  type Ended,
  endBooking,
  insertBooking,
  isPrepaid,
  releaseTheNights,
  takeTheNights,
} from "./booking.js";
import { openPeerTransactions } from "./transact.js";

const config = parseEnv(
  z.object({
    PEER_KIND: z.enum(PEER_KINDS).default("steps"),
    PEER_PORT: port.default(3200),
    PEER_RESERVATION_DATABASE_URL: z.url(),
    PEER_ROOM_DATABASE_URL: z.url(),
    PEER_PAYMENT_DATABASE_URL: z.url(),
    PEER_SYSTEM_DATABASE_URL: z.url(),
  }),
  process.env,
);

const app = createFastify({ logger: { level: "warn" } });
const transactions = openPeerTransactions(
  config.PEER_KIND,
  {
    reservation: config.PEER_RESERVATION_DATABASE_URL,
    room: config.PEER_ROOM_DATABASE_URL,
    payment: config.PEER_PAYMENT_DATABASE_URL,
  },
  app.log,
);
const { run } = transactions;

const bookRoom = DBOS.registerWorkflow(
  async (b: Booking) => {
    await run("reservation", "insertBooking", (tx) => insertBooking(tx, b));
    await DBOS.setEvent("accepted", true);
    const taken = await run("room", "takeNights", (tx) => takeTheNights(tx, b));
    let end: Ended =
      taken.status === "SUCCESS"
        ? { status: "SUCCESS", price: taken.price, charged: 0 }
        : { status: "FAILURE", reason: taken.reason, price: null };
    if (taken.status === "SUCCESS" && isPrepaid(taken.price)) {
      const price = taken.price;
      const paid = await run("payment", "chargeDeposit", (tx) => chargeTheDeposit(tx, b, price));
      if (paid.status === "CHARGED") end = { status: "SUCCESS", price, charged: paid.amount };
      else {
        await run("room", "releaseNights", (tx) => releaseTheNights(tx, b));
        end = { status: "FAILURE", reason: "PAYMENT_DECLINED", price };
      }
    }
    await run("reservation", "endBooking", (tx) => endBooking(tx, b.id, end));
    return end.status;
  },
  { name: "bookRoom" },
);

// The rate limit is not the peer's to measure (the bench raises the services' out of its way too).
await app.register(authPlugin, { config: { ...loadAuthConfig(process.env), anonymousPerMinute: 1_000_000 } });
app.post<{ Body: NewReservation }>(
  "/reservations",
  { ...app.guestOnly, schema: { body: newReservationBody } },
  async (request, reply) => {
    const { roomId, rooms: _, ...stay } = request.body;
    // The peer books one unit of one room: what the bench compares.
    if (roomId === undefined) return reply.status(400).send({ error: "the peer books one room: give roomId" });
    const id = randomUUID();
    const booking = { id, guestId: request.principal?.id ?? "", roomId, ...stay };
    await DBOS.startWorkflow(bookRoom, { workflowID: id })(booking);
    await DBOS.getEvent(id, "accepted", 30);
    return reply.status(202).send({ id, status: "PENDING" });
  },
);

// Ready once it listens: that comes after DBOS.launch().
app.get("/ready", async () => ({ ready: true }));

DBOS.setConfig({ name: "hotel-bench-peer", systemDatabaseUrl: config.PEER_SYSTEM_DATABASE_URL });
await DBOS.launch();
await app.listen({ host: "127.0.0.1", port: config.PEER_PORT });

const stop = async () => {
  await app.close();
  await DBOS.shutdown();
  await transactions.close();
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
