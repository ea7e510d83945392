import { randomUUID } from "node:crypto";
import { openPool } from "@saga/platform/sql";
import { createPrisma as createReservationPrisma } from "@saga/reservation/domain";
import { createPrisma as createRoomPrisma } from "@saga/room/domain";
import Fastify from "fastify";
import { type KafkaMessage, Partitioners } from "kafkajs";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { kafkaClient, uniquePrefix, waitFor } from "../harness/index.js";

describe("the test infrastructure", () => {
  it("when a message is produced to the real broker, then a consumer group receives it", async () => {
    const prefix = uniquePrefix("infra");
    const topic = `${prefix}greetings`;
    const kafka = kafkaClient("admin", inject("infra").brokers, `${prefix}client`);
    const admin = kafka.admin();
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    const consumer = kafka.consumer({ groupId: `${prefix}group` });
    onTestFinished(async () => {
      await Promise.all([admin.disconnect(), producer.disconnect(), consumer.disconnect()]);
    });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
    const received: { partition: number; message: KafkaMessage }[] = [];
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({ partition, message });
      },
    });
    const sent = [0, 1, 2].map((partition) => ({ partition, key: randomUUID(), value: `hello ${partition}` }));

    await producer.send({ topic, messages: sent });

    await waitFor(
      async () => received.length,
      (count) => count >= sent.length,
      { what: `${sent.length} messages on ${topic}` },
    );
    const seen = received
      .map(({ partition, message }) => ({ partition, key: message.key?.toString(), value: message.value?.toString() }))
      .sort((a, b) => a.partition - b.partition);
    expect(seen).toEqual(sent);
  });

  it("when each service writes through Prisma, then it reads the row back from its own database", async () => {
    const infra = inject("infra");
    const { log } = Fastify();
    const reservationDb = createReservationPrisma(openPool(infra.databases.reservation, "requests", 2, log));
    const roomDb = createRoomPrisma(openPool(infra.databases.room, "requests", 2, log));
    onTestFinished(async () => {
      await Promise.all([reservationDb.$disconnect(), roomDb.$disconnect()]);
    });
    const reservation = {
      id: randomUUID(),
      roomId: randomUUID(),
      guestName: "Grace Hopper",
      checkIn: new Date("2031-03-01T00:00:00.000Z"),
      checkOut: new Date("2031-03-04T00:00:00.000Z"),
      deadlineAt: new Date("2031-02-01T12:00:00.000Z"),
    };
    const room = { id: randomUUID(), name: "Garden single", units: 2 };

    await reservationDb.reservation.create({ data: reservation });
    await roomDb.room.create({ data: room });

    expect(await reservationDb.reservation.findUnique({ where: { id: reservation.id } })).toMatchObject({
      ...reservation,
      status: "PENDING",
      reason: null,
      completedAt: null,
    });
    expect(await roomDb.room.findUnique({ where: { id: room.id } })).toMatchObject(room);
    const tables = `SELECT current_database() AS "database", to_regclass('reservations')::text AS "reservations", to_regclass('rooms')::text AS "rooms"`;
    const [inReservationDb] = await reservationDb.$queryRawUnsafe<Record<string, string | null>[]>(tables);
    const [inRoomDb] = await roomDb.$queryRawUnsafe<Record<string, string | null>[]>(tables);
    expect(inReservationDb).toEqual({
      database: new URL(infra.databases.reservation).pathname.slice(1),
      reservations: "reservations",
      rooms: null,
    });
    expect(inRoomDb).toEqual({
      database: new URL(infra.databases.room).pathname.slice(1),
      reservations: null,
      rooms: "rooms",
    });
  });
});
