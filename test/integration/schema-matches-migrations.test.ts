import { readFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "@saga/ops/local";
import { SERVICES } from "@saga/ops/services";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { type DatabaseShape, findSchemaDrift, readDatabaseShape } from "../harness/schema-drift.js";

const schemaOf = (service: string) => readFile(path.join(ROOT, "prisma", service, "schema.prisma"), "utf8");

describe("the Prisma schemas and the migrations", () => {
  it.each(SERVICES.map((service) => ({ service, databaseUrl: () => inject("infra").databases[service] })))(
    "when the $service migrations have been applied, then the database is exactly what its schema.prisma describes",
    async ({ service, databaseUrl }) => {
      const schema = await schemaOf(service);

      const drift = await findSchemaDrift(schema, await readDatabaseShape(databaseUrl()));

      expect(drift).toEqual([]);
    },
  );
});

/** Replaces one exact passage of the schema, so a typo here cannot turn into a schema that did not change. */
function alter(schema: string, from: string, to: string): string {
  if (!schema.includes(from)) throw new Error(`the schema has no ${JSON.stringify(from)} to alter`);
  return schema.replace(from, to);
}

describe("the drift check", () => {
  let schema: string;
  let database: DatabaseShape;
  beforeAll(async () => {
    schema = await schemaOf("reservation");
    database = await readDatabaseShape(inject("infra").databases.reservation);
  });

  it.each([
    {
      change: "a field is added",
      from: "  reason         String?\n",
      to: "  reason         String?\n  nickname       String\n",
      reported: ["Reservation.nickname: column reservations.nickname does not exist"],
    },
    {
      change: "a field is removed",
      from: "  reason         String?\n",
      to: "",
      reported: ["table reservations: column reason is not in model Reservation"],
    },
    {
      change: "a field is mapped to another column",
      from: '@map("guest_name")',
      to: '@map("guest")',
      reported: [
        "Reservation.guestName: column reservations.guest does not exist",
        "table reservations: column guest_name is not in model Reservation",
      ],
    },
    {
      change: "a field has another type",
      from: 'guestName      String            @map("guest_name")',
      to: 'guestName      String            @map("guest_name") @db.Uuid',
      reported: ["Reservation.guestName: column reservations.guest_name is text, the schema says uuid"],
    },
    {
      change: "a timestamp of another precision",
      from: 'deadlineAt     DateTime          @map("deadline_at") @db.Timestamptz(3)',
      to: 'deadlineAt     DateTime          @map("deadline_at") @db.Timestamptz(6)',
      reported: [
        "Reservation.deadlineAt: column reservations.deadline_at is timestamp(3) with time zone, the schema says timestamp(6) with time zone",
      ],
    },
    {
      change: "a required field is optional",
      from: 'guestName      String            @map("guest_name")',
      to: 'guestName      String?           @map("guest_name")',
      reported: ["Reservation.guestName: column reservations.guest_name is NOT NULL, the schema says nullable"],
    },
    {
      change: "the primary key is another field",
      from: '  messageId   String   @id @map("message_id") @db.Uuid\n  topic       String\n',
      to: '  messageId   String   @map("message_id") @db.Uuid\n  topic       String   @id\n',
      reported: ["model InboxMessage: primary key of inbox is (message_id), the schema says (topic)"],
    },
    {
      change: "a field is unique",
      from: 'requestHash    String?           @map("request_hash")',
      to: 'requestHash    String?           @unique @map("request_hash")',
      reported: ["model Reservation: no unique index on reservations (request_hash)"],
    },
    {
      change: "fields are unique together",
      from: "  @@index([status, deadlineAt])\n",
      to: "  @@index([status, deadlineAt])\n  @@unique([roomId, checkIn])\n",
      reported: ["model Reservation: no unique index on reservations (room_id, check_in)"],
    },
    {
      change: "an index in another column order",
      from: "@@index([status, deadlineAt])",
      to: "@@index([deadlineAt, status])",
      reported: ["model Reservation: no index on reservations (deadline_at, status)"],
    },
    {
      change: "a model is added",
      from: "model InboxMessage {",
      to: "model Guest {\n  id String @id\n}\n\nmodel InboxMessage {",
      reported: ["model Guest: table Guest does not exist"],
    },
    {
      change: "a model is mapped to another table",
      from: '@@map("inbox")',
      to: '@@map("inbox_v2")',
      reported: ["model InboxMessage: table inbox_v2 does not exist", "table inbox has no model"],
    },
    {
      change: "an enum has another value",
      from: "  CHANGE_PENDING\n}",
      to: "  CHANGE_PENDING\n  EXPIRED\n}",
      reported: [
        "enum ReservationStatus: values are (PENDING, SUCCESS, FAILURE, CANCEL_PENDING, CANCEL, AWAITING_PAYMENT, RELEASE_PENDING, CHANGE_PENDING), the schema says (PENDING, SUCCESS, FAILURE, CANCEL_PENDING, CANCEL, AWAITING_PAYMENT, RELEASE_PENDING, CHANGE_PENDING, EXPIRED)",
      ],
    },
  ])(
    "when the schema says $change and the migrations do not, then the difference is reported",
    async ({ from, to, reported }) => {
      const altered = alter(schema, from, to);

      const drift = await findSchemaDrift(altered, database);

      expect(drift).toEqual(reported);
    },
  );
});
