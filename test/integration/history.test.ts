import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  asGuest,
  asStaff,
  book,
  createRoom,
  recordTopic,
  startSystem,
  waitFor,
  waitForStatus,
} from "../harness/index.js";

interface Entry {
  at: string;
  status: string;
  reason: string | null;
  cause: string;
  messageId: string | null;
}

async function historyOf(system: AppSystem, id: string, headers: Record<string, string>) {
  const res = await system.reservation.inject({ method: "GET", url: `/reservations/${id}/history`, headers });
  return { statusCode: res.statusCode, body: res.json() as { reservationId: string; entries: Entry[] } };
}

const steps = (entries: Entry[]) => entries.map(({ status, reason, cause }) => ({ status, reason, cause }));

describe("a booking's history", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem({ env: { SAGA_DEADLINE_MS: "1500", SAGA_SWEEP_MS: "200", CANCEL_RESEND_MS: "1000" } });
  });
  afterAll(() => system?.close());

  it("when a booking succeeds and is cancelled, then its history holds each change in order, with the replies' message ids", async () => {
    const replies = await recordTopic(system.topics.transactionResult);
    const room = await createRoom(system.room, { units: 1 });
    const booking = await book(system.reservation, aBooking({ roomId: room.id }), asGuest("grace"));
    await waitForStatus(system.reservation, booking.id, ["SUCCESS"]);
    await system.reservation.inject({
      method: "POST",
      url: `/reservations/${booking.id}/cancel`,
      headers: asGuest("grace"),
    });
    await waitForStatus(system.reservation, booking.id, ["CANCEL"]);
    await replies.until((messages) => messages.filter((m) => m.key === booking.id).length === 2);
    await replies.stop();

    const { statusCode, body } = await historyOf(system, booking.id, asGuest("grace"));

    expect(statusCode).toBe(200);
    expect(body.reservationId).toBe(booking.id);
    expect(steps(body.entries)).toEqual([
      { status: "PENDING", reason: null, cause: "http" },
      { status: "SUCCESS", reason: null, cause: "transaction-result" },
      { status: "CANCEL_PENDING", reason: null, cause: "http" },
      { status: "CANCEL", reason: null, cause: "transaction-result" },
    ]);
    const sent = replies
      .json<{ reservationId: string; messageId: string; status: string }>()
      .filter((m) => m.reservationId === booking.id);
    expect(body.entries.map((e) => e.messageId)).toEqual([
      null,
      sent.find((m) => m.status === "SUCCESS")?.messageId,
      null,
      sent.find((m) => m.status === "CANCEL")?.messageId,
    ]);
    const times = body.entries.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("when staff read a hold's history, then each message the room service applied is there with its id; guests may not", async () => {
    const reserves = await recordTopic(system.topics.roomReserve);
    const room = await createRoom(system.room, { units: 1 });
    const taken = await book(system.reservation, aBooking({ roomId: room.id }), asGuest("hopper"));
    await waitForStatus(system.reservation, taken.id, ["SUCCESS"]);
    const full = await book(system.reservation, aBooking({ roomId: room.id }), asGuest("hopper"));
    await waitForStatus(system.reservation, full.id, ["FAILURE"]);
    await system.reservation.inject({
      method: "POST",
      url: `/reservations/${taken.id}/cancel`,
      headers: asGuest("hopper"),
    });
    await waitForStatus(system.reservation, taken.id, ["CANCEL"]);
    await reserves.until((messages) => messages.some((m) => m.value?.includes(taken.id)));
    await reserves.stop();
    const read = (id: string, headers: Record<string, string>) =>
      system.room.inject({ method: "GET", url: `/holds/${id}/history`, headers });

    const takenHistory = (await read(taken.id, asStaff())).json();
    const fullHistory = (await read(full.id, asStaff())).json();

    expect(takenHistory.entries.map(({ event, reason }: Entry & { event: string }) => ({ event, reason }))).toEqual([
      { event: "TAKEN", reason: null },
      { event: "RELEASED", reason: null },
    ]);
    const reserve = reserves
      .json<{ reservationId: string; messageId: string }>()
      .find((m) => m.reservationId === taken.id);
    expect(takenHistory.entries[0].messageId).toBe(reserve?.messageId);
    expect(fullHistory.entries).toMatchObject([{ event: "REFUSED", reason: "NO_AVAILABILITY" }]);
    expect((await read(taken.id, asGuest("hopper"))).statusCode).toBe(403);
    expect((await read("00000000-0000-4000-8000-000000000000", asStaff())).statusCode).toBe(404);
  });

  it("when the room does not exist, then the history shows the failure and its reason", async () => {
    const booking = await book(system.reservation, aBooking(), asGuest("ada"));
    await waitForStatus(system.reservation, booking.id, ["FAILURE"]);

    const { body } = await historyOf(system, booking.id, asGuest("ada"));

    expect(steps(body.entries)).toEqual([
      { status: "PENDING", reason: null, cause: "http" },
      { status: "FAILURE", reason: "ROOM_NOT_FOUND", cause: "transaction-result" },
    ]);
  });

  it("when another guest asks, then the answer is 404 as for an unknown id; staff may read it", async () => {
    const booking = await book(system.reservation, aBooking(), asGuest("owner"));
    await waitForStatus(system.reservation, booking.id, ["FAILURE"]);

    const stranger = await historyOf(system, booking.id, asGuest("stranger"));
    const unknown = await historyOf(system, "00000000-0000-4000-8000-000000000000", asGuest("stranger"));
    const staff = await historyOf(system, booking.id, asStaff());

    expect(stranger.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(Object.keys(stranger.body)).toEqual(Object.keys(unknown.body));
    expect(staff.statusCode).toBe(200);
    expect(staff.body.entries).toHaveLength(2);
  });

  it("when the room service does not answer, then the history shows the deadline's failure and each cancel sent again", async () => {
    await system.room.consumers.stop();
    const booking = await book(system.reservation, aBooking(), asGuest("eve"));

    const { body } = await waitFor(
      () => historyOf(system, booking.id, asGuest("eve")),
      ({ body }) => body.entries.filter((e) => e.cause === "cancel-resend").length >= 1,
      { what: "the deadline and a cancel sent again" },
    );

    expect(steps(body.entries).slice(0, 3)).toEqual([
      { status: "PENDING", reason: null, cause: "http" },
      { status: "FAILURE", reason: "TIMEOUT", cause: "deadline" },
      { status: "FAILURE", reason: "TIMEOUT", cause: "cancel-resend" },
    ]);
  });
});
