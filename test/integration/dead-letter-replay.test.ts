import { firstRoomOf, newRoomReserve, type ServiceName } from "@saga/contracts";
import { asRole } from "@saga/ops/databases";
import { type DeadLetter, readDeadLetters, refusedMessages, replay, select } from "@saga/ops/dead-letters";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  availability,
  book,
  createRoom,
  getBooking,
  kafkaClient,
  produce,
  queryNumber,
  queryRows,
  sampleValue,
  scrape,
  serviceDatabaseUrl,
  startSystem,
  waitFor,
  waitForStatus,
} from "../harness/index.js";

describe("pnpm dlq: dead letters listed and replayed", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem({ env: { SAGA_DEADLINE_MS: "120000" } });
  });
  afterAll(() => system?.close());

  const letters = () => readDeadLetters(kafkaClient("operator"), system.topics.deadLetter, system.prefix);
  const lettersWhere = (done: (found: DeadLetter[]) => boolean, what: string) =>
    waitFor(letters, done, { what, timeoutMs: 60_000 });
  const databaseOf = (service: ServiceName) => serviceDatabaseUrl(system.databases, service);
  const holdEntries = (reservationId: string) =>
    queryNumber(system.databases.room, `SELECT count(*)::int AS "n" FROM "hold_history" WHERE "reservation_id" = $1`, [
      reservationId,
    ]);

  it("when the cause of a dead letter is fixed and it is replayed, then it is applied; replayed again, it changes nothing", async () => {
    const room = await createRoom(system.room, { units: 2 });
    const constraint = `ALTER TABLE "holds" ADD CONSTRAINT "refuses_it" CHECK (NOT ("room_id" = '${room.id}' AND "status" = 'HELD'))`;
    await queryRows(system.databases.room, constraint);
    const booking = await book(system.reservation, aBooking({ roomId: room.id }));
    const [letter] = await lettersWhere(
      (found) => found.some((l) => l.record.value?.includes(booking.id)),
      "the refused reserve to be dead-lettered",
    ).then((found) => found.filter((l) => l.record.value?.includes(booking.id)));
    expect(letter?.record).toMatchObject({ sourceTopic: system.topics.roomReserve, replays: 0, truncated: false });
    expect(letter?.record.reason).toMatch(/^23514: /);
    expect((await getBooking(system.reservation, booking.id)).status).toBe("PENDING");

    await queryRows(system.databases.room, `ALTER TABLE "holds" DROP CONSTRAINT "refuses_it"`);
    const first = await replay([letter as DeadLetter], system.topics, databaseOf);

    expect(first).toEqual([{ id: letter?.id, ok: true, service: "reservation" }]);
    await waitForStatus(system.reservation, booking.id, ["SUCCESS"]);
    const nights = await availability(system.room, room.id, booking.checkIn, booking.checkOut);
    expect(nights.every((n) => n.available === 1)).toBe(true);
    const entries = await holdEntries(booking.id);
    const applied = async () =>
      sampleValue(await scrape(system.room), "messages_applied_total", { topic: system.topics.roomReserve }) ?? 0;
    const appliedBefore = await applied();
    // The relay deletes a row it sent with its next read; until then the message is still owed.
    const messageId = JSON.parse(letter?.record.value ?? "{}").messageId;
    await waitFor(
      () =>
        queryNumber(system.databases.reservation, `SELECT count(*)::int AS "n" FROM "outbox" WHERE "message_id" = $1`, [
          messageId,
        ]),
      (owed) => owed === 0,
      { what: "the first replay to leave the outbox" },
    );

    const again = await replay([letter as DeadLetter], system.topics, databaseOf);

    expect(again).toEqual([{ id: letter?.id, ok: true, service: "reservation" }]);
    await waitFor(applied, (n) => n === appliedBefore + 1, { what: "the room service to take the second replay" });
    // Its inbox knew the message: no second hold entry, the nights as they were, no second reply.
    expect(await availability(system.room, room.id, booking.checkIn, booking.checkOut)).toEqual(nights);
    expect(await holdEntries(booking.id)).toBe(entries);
    expect((await getBooking(system.reservation, booking.id)).status).toBe("SUCCESS");
  });

  it("when a replayed message fails again, then it is dead-lettered once more with its replay count, and not replayed by itself", async () => {
    const stay = aStay();
    const invalid = {
      ...newRoomReserve({ reservationId: crypto.randomUUID(), roomId: crypto.randomUUID(), ...stay }),
      version: 9,
    };
    await produce(system.topics.roomReserve, [{ key: firstRoomOf(invalid), value: JSON.stringify(invalid) }]);
    const mine = (found: DeadLetter[]) => found.filter((l) => l.record.value?.includes(invalid.messageId));
    const [letter] = mine(await lettersWhere((found) => mine(found).length === 1, "the invalid reserve dead-lettered"));

    const results = await replay([letter as DeadLetter], system.topics, databaseOf);

    expect(results).toEqual([{ id: letter?.id, ok: true, service: "reservation" }]);
    const both = mine(await lettersWhere((found) => mine(found).length === 2, "the replay dead-lettered again"));
    expect(both.map((l) => l.record.replays)).toEqual([0, 1]);
    expect(both[1]?.record.reason).toMatch(/unsupported schema version/);
  });

  it("when a dead letter cannot be sent as it was (not JSON), then the replay refuses it and says why", async () => {
    await produce(system.topics.roomCancel, [{ key: "garbage", value: "this is not JSON" }]);
    const mine = (found: DeadLetter[]) => found.filter((l) => l.record.value === "this is not JSON");
    const [letter] = mine(await lettersWhere((found) => mine(found).length === 1, "the garbage dead-lettered"));

    const results = await replay([letter as DeadLetter], system.topics, databaseOf);

    expect(results).toEqual([
      { id: letter?.id, ok: false, why: "its value is not JSON: it would fail again the same way" },
    ]);
    expect(select(await letters(), { sourceTopic: system.topics.roomCancel }).map((l) => l.id)).toEqual([letter?.id]);
  });

  it("when the outbox set a message aside, then the listing shows it with the broker's reason", async () => {
    await queryRows(
      system.databases.reservation,
      `INSERT INTO "outbox_refused" ("id", "message_id", "topic", "key", "payload", "created_at", "reason")
       VALUES (424242, gen_random_uuid(), 'room-reserve', 'k', '{}', now(), 'MESSAGE_TOO_LARGE: too big')`,
    );
    const { databaseRoles } = inject("infra");
    const operator = (service: ServiceName) =>
      asRole(
        service === "reservation" ? system.databases.reservation : system.databases.room,
        databaseRoles[service].operator,
      );

    const refused = await refusedMessages(operator);

    expect(refused).toEqual([
      expect.objectContaining({ service: "reservation", id: "424242", reason: "MESSAGE_TOO_LARGE: too big" }),
    ]);
  });
});
