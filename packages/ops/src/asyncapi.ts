// The AsyncAPI 3 document of the saga's topics, made from the contract zod schemas that the services
// validate with: `pnpm docs:generate` writes docs/asyncapi.yaml; the suite fails while it differs.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  deadLetterMessage,
  FLOWS,
  paymentRequestMessage,
  paymentResultMessage,
  roomCancelMessage,
  roomChangeMessage,
  roomReserveMessage,
  TOPIC,
  type TopicKey,
  transactionResultMessage,
} from "@saga/contracts";
import { clientIdOf } from "@saga/platform/config";
import { stringify } from "yaml";
import { z } from "zod";
import { ROOT } from "./root.js";

export const ASYNCAPI_FILE = path.join(ROOT, "docs", "asyncapi.yaml");

/** A payload as JSON Schema draft-07 (AsyncAPI's own schema format is a superset of it), as sent. */
const payloadOf = (schema: z.ZodType) => {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { target: "draft-7", io: "input" });
  return json;
};

const traceHeaders = {
  traceparent: {
    type: "string",
    description:
      "W3C trace context of the booking's trace: the caller's, or one begun for it (docs/operations.md, Traces)",
    pattern: "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
  },
  tracestate: { type: "string", description: "W3C trace state, when the trace has one" },
};

/** Header schemas, once each in components.schemas; Kafka header values are strings. */
const HEADERS = {
  SagaHeaders: {
    type: "object",
    properties: {
      "message-id": { type: "string", format: "uuid", description: "The payload's messageId: the inbox key" },
      ...traceHeaders,
      "replay-count": {
        type: "string",
        pattern: "^[1-9][0-9]*$",
        description: "Only on a dead letter replayed by `pnpm dlq replay`: how many times it was replayed",
      },
    },
    required: ["message-id"],
  },
  DeadLetterHeaders: {
    type: "object",
    properties: {
      "dead-letter-reason": { type: "string", maxLength: 500, description: "Why it was set aside (cut to 500)" },
      "source-topic": { type: "string", description: "The topic the original was read from" },
      "message-id": { type: "string", description: "The original's message-id header, when it had one" },
      ...traceHeaders,
    },
    required: ["dead-letter-reason", "source-topic"],
  },
};

const RESERVATION = "0b6f4d1e-8a53-4c1b-9a59-2d7c1f0e5a11";
const ROOM = "5d9a3c27-6e1f-4b8d-a0c4-7f2e9b1d3c85";
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/** The date change and the adjustment the examples answer. */
const CHANGE = "4c3b2a19-8d7e-4f60-a5b4-c3d2e1f0a9b8";
const ADJUSTMENT = "5d4c3b2a-9e8f-4a71-b6c5-d4e3f2a1b0c9";
const envelope = (messageId: string, version = 1) => ({
  messageId,
  reservationId: RESERVATION,
  version,
  occurredAt: "2027-03-01T09:30:00.000Z",
});
const ROOM_2 = "8e1b4f60-2c7d-4a93-b5e8-1f0a9c3d7b26";
const stay = { roomId: ROOM, checkIn: "2027-04-10", checkOut: "2027-04-13" };
const twoRooms = {
  rooms: [
    { roomId: ROOM, quantity: 2 },
    { roomId: ROOM_2, quantity: 1 },
  ],
  checkIn: "2027-04-10",
  checkOut: "2027-04-13",
};
const UNSUPPORTED = JSON.stringify({
  ...envelope("5a4cbe96-7d8f-4bac-8edf-4a5b6c7d8e95"),
  version: 9,
  type: "ROOM_RESERVE",
  ...stay,
});
const sagaHeaders = (messageId: string) => ({ "message-id": messageId, traceparent: TRACEPARENT });

/** One example of each message, as a service sends it; the suite checks each against its schema. */
export const EXAMPLES: Record<TopicKey, { name: string; payload: unknown; headers: Record<string, string> }[]> = {
  roomReserve: [
    {
      name: "reserve",
      payload: { ...envelope("1c0e7a52-3f4b-4d6e-8a9b-0c1d2e3f4a51"), type: "ROOM_RESERVE", ...stay },
      headers: sagaHeaders("1c0e7a52-3f4b-4d6e-8a9b-0c1d2e3f4a51"),
    },
    {
      name: "reserveAtQuotedPrice",
      payload: {
        ...envelope("1c0e7a52-3f4b-4d6e-8a9b-0c1d2e3f4a52", 2),
        type: "ROOM_RESERVE",
        ...stay,
        expectedTotal: { amount: 54_000, currency: "EUR" },
      },
      headers: sagaHeaders("1c0e7a52-3f4b-4d6e-8a9b-0c1d2e3f4a52"),
    },
    {
      name: "reserveSeveralRooms",
      payload: {
        ...envelope("1c0e7a52-3f4b-4d6e-8a9b-0c1d2e3f4a53", 3),
        type: "ROOM_RESERVE",
        ...twoRooms,
        expectedTotal: { amount: 81_000, currency: "EUR" },
      },
      headers: sagaHeaders("1c0e7a52-3f4b-4d6e-8a9b-0c1d2e3f4a53"),
    },
  ],
  roomCancel: [
    {
      name: "cancel",
      payload: { ...envelope("2d1f8b63-4a5c-4e7f-9bac-1d2e3f4a5b62"), type: "ROOM_CANCEL", ...stay },
      headers: sagaHeaders("2d1f8b63-4a5c-4e7f-9bac-1d2e3f4a5b62"),
    },
    {
      name: "cancelSeveralRooms",
      payload: { ...envelope("2d1f8b63-4a5c-4e7f-9bac-1d2e3f4a5b63", 2), type: "ROOM_CANCEL", ...twoRooms },
      headers: sagaHeaders("2d1f8b63-4a5c-4e7f-9bac-1d2e3f4a5b63"),
    },
  ],
  roomChange: [
    {
      name: "change",
      payload: {
        ...envelope("2d1f8b63-4a5c-4e7f-9bac-1d2e3f4a5b64"),
        type: "ROOM_CHANGE",
        changeId: CHANGE,
        rooms: [{ roomId: ROOM, quantity: 1 }],
        from: { checkIn: "2027-04-10", checkOut: "2027-04-13" },
        to: { checkIn: "2027-04-11", checkOut: "2027-04-13" },
        expectedTotal: { amount: 36_000, currency: "EUR" },
      },
      headers: sagaHeaders("2d1f8b63-4a5c-4e7f-9bac-1d2e3f4a5b64"),
    },
  ],
  transactionResult: [
    {
      name: "success",
      payload: { ...envelope("3e2a9c74-5b6d-4f8a-8cbd-2e3f4a5b6c73"), type: "TRANSACTION_RESULT", status: "SUCCESS" },
      headers: sagaHeaders("3e2a9c74-5b6d-4f8a-8cbd-2e3f4a5b6c73"),
    },
    {
      name: "failure",
      payload: {
        ...envelope("4f3bad85-6c7e-4a9b-9dce-3f4a5b6c7d84"),
        type: "TRANSACTION_RESULT",
        status: "FAILURE",
        reason: "NO_AVAILABILITY",
      },
      headers: sagaHeaders("4f3bad85-6c7e-4a9b-9dce-3f4a5b6c7d84"),
    },
    {
      name: "successWithPrice",
      payload: {
        ...envelope("3e2a9c74-5b6d-4f8a-8cbd-2e3f4a5b6c74", 2),
        type: "TRANSACTION_RESULT",
        status: "SUCCESS",
        price: {
          currency: "EUR",
          nights: [18_000, 18_000, 18_000],
          total: 54_000,
          payment: "PREPAID",
          cancellation: { freeUntilHours: 48, penaltyNights: 1 },
        },
      },
      headers: sagaHeaders("3e2a9c74-5b6d-4f8a-8cbd-2e3f4a5b6c74"),
    },
    {
      name: "changed",
      payload: {
        ...envelope("3e2a9c74-5b6d-4f8a-8cbd-2e3f4a5b6c75", 4),
        type: "TRANSACTION_RESULT",
        status: "CHANGED",
        changeId: CHANGE,
        checkIn: "2027-04-11",
        checkOut: "2027-04-13",
        price: {
          currency: "EUR",
          nights: [18_000, 18_000],
          total: 36_000,
          payment: "PREPAID",
          cancellation: { freeUntilHours: 48, penaltyNights: 1 },
        },
      },
      headers: sagaHeaders("3e2a9c74-5b6d-4f8a-8cbd-2e3f4a5b6c75"),
    },
    {
      name: "changeRefused",
      payload: {
        ...envelope("3e2a9c74-5b6d-4f8a-8cbd-2e3f4a5b6c76", 4),
        type: "TRANSACTION_RESULT",
        status: "CHANGE_REFUSED",
        changeId: CHANGE,
        reason: "NO_AVAILABILITY",
        checkIn: "2027-04-10",
        checkOut: "2027-04-12",
        price: {
          currency: "EUR",
          nights: [18_000, 18_000],
          total: 36_000,
          payment: "PREPAID",
          cancellation: { freeUntilHours: 48, penaltyNights: 1 },
        },
      },
      headers: sagaHeaders("3e2a9c74-5b6d-4f8a-8cbd-2e3f4a5b6c76"),
    },
  ],
  paymentRequest: [
    {
      name: "charge",
      payload: {
        ...envelope("6b5d7e96-1a2b-4c3d-8e4f-5a6b7c8d9e01"),
        type: "PAYMENT_CHARGE",
        guestId: "ada",
        amount: 54_000,
        currency: "EUR",
      },
      headers: sagaHeaders("6b5d7e96-1a2b-4c3d-8e4f-5a6b7c8d9e01"),
    },
    {
      name: "refund",
      payload: {
        ...envelope("6b5d7e96-1a2b-4c3d-8e4f-5a6b7c8d9e02"),
        type: "PAYMENT_REFUND",
        guestId: "ada",
        currency: "EUR",
        keep: 18_000,
        reason: "CANCELLED",
      },
      headers: sagaHeaders("6b5d7e96-1a2b-4c3d-8e4f-5a6b7c8d9e02"),
    },
    {
      name: "adjust",
      payload: {
        ...envelope("6b5d7e96-1a2b-4c3d-8e4f-5a6b7c8d9e03", 2),
        type: "PAYMENT_ADJUST",
        adjustId: ADJUSTMENT,
        guestId: "ada",
        currency: "EUR",
        target: 54_000,
      },
      headers: sagaHeaders("6b5d7e96-1a2b-4c3d-8e4f-5a6b7c8d9e03"),
    },
  ],
  paymentResult: [
    {
      name: "charged",
      payload: {
        ...envelope("7c6e8fa7-2b3c-4d4e-9f50-6b7c8d9e0f11"),
        type: "PAYMENT_RESULT",
        status: "CHARGED",
        amount: 54_000,
        currency: "EUR",
      },
      headers: sagaHeaders("7c6e8fa7-2b3c-4d4e-9f50-6b7c8d9e0f11"),
    },
    {
      name: "declined",
      payload: {
        ...envelope("7c6e8fa7-2b3c-4d4e-9f50-6b7c8d9e0f12"),
        type: "PAYMENT_RESULT",
        status: "DECLINED",
        reason: "INSUFFICIENT_FUNDS",
      },
      headers: sagaHeaders("7c6e8fa7-2b3c-4d4e-9f50-6b7c8d9e0f12"),
    },
    {
      name: "refunded",
      payload: {
        ...envelope("7c6e8fa7-2b3c-4d4e-9f50-6b7c8d9e0f13"),
        type: "PAYMENT_RESULT",
        status: "REFUNDED",
        currency: "EUR",
        refunded: 36_000,
        kept: 18_000,
      },
      headers: sagaHeaders("7c6e8fa7-2b3c-4d4e-9f50-6b7c8d9e0f13"),
    },
    {
      name: "adjusted",
      payload: {
        ...envelope("7c6e8fa7-2b3c-4d4e-9f50-6b7c8d9e0f14", 2),
        type: "PAYMENT_RESULT",
        status: "ADJUSTED",
        adjustId: ADJUSTMENT,
        currency: "EUR",
        charged: 54_000,
        refunded: 0,
      },
      headers: sagaHeaders("7c6e8fa7-2b3c-4d4e-9f50-6b7c8d9e0f14"),
    },
    {
      name: "adjustDeclined",
      payload: {
        ...envelope("7c6e8fa7-2b3c-4d4e-9f50-6b7c8d9e0f15", 2),
        type: "PAYMENT_RESULT",
        status: "ADJUST_DECLINED",
        adjustId: ADJUSTMENT,
        reason: "INSUFFICIENT_FUNDS",
      },
      headers: sagaHeaders("7c6e8fa7-2b3c-4d4e-9f50-6b7c8d9e0f15"),
    },
  ],
  deadLetter: [
    {
      name: "unsupportedVersion",
      payload: {
        service: "room-service",
        sourceTopic: "room-reserve",
        partition: 2,
        offset: "4711",
        key: ROOM,
        value: UNSUPPORTED,
        valueBytes: Buffer.byteLength(UNSUPPORTED),
        valueSha256: createHash("sha256").update(UNSUPPORTED).digest("hex"),
        truncated: false,
        reason: "version: unsupported schema version, expected 1 or 2 or 3",
        failedAt: "2027-03-01T09:30:00.120Z",
        replays: 0,
      },
      headers: {
        "dead-letter-reason": "version: unsupported schema version, expected 1 or 2 or 3",
        "source-topic": "room-reserve",
        "message-id": "5a4cbe96-7d8f-4bac-8edf-4a5b6c7d8e95",
      },
    },
  ],
};

export const MESSAGES: Record<
  TopicKey,
  { schema: z.ZodType; key: string; summary: string; headers: keyof typeof HEADERS }
> = {
  roomReserve: {
    schema: roomReserveMessage,
    key: "The (first) room's id: every message of one room, and so of one booking, in order on one partition",
    summary:
      "Take every night of the stay, in every room it names (version 3: several rooms, or several units of one), or none; answered on transaction-result",
    headers: "SagaHeaders",
  },
  roomCancel: {
    schema: roomCancelMessage,
    key: "The (first) room's id, as for room-reserve, so a cancel follows its reserve",
    summary:
      "Give back every unit of every night of the booking's hold (the saga's compensation; version 2 names several rooms); answered CANCEL",
    headers: "SagaHeaders",
  },
  roomChange: {
    schema: roomChangeMessage,
    key: "The (first) room's id, as for room-reserve",
    summary:
      "Move a held booking to other dates (a guest's PATCH, or the change sent back past its deadline): the new nights taken and the old ones given back, in every room, at once or not at all, at today's rates; answered CHANGED or CHANGE_REFUSED, each naming where the hold is",
    headers: "SagaHeaders",
  },
  transactionResult: {
    schema: transactionResultMessage,
    key: "The reservation id",
    summary:
      "What the room service did: SUCCESS (with the price fixed, of all its rooms together, for rooms with a rate plan), FAILURE with its reason, CANCEL, or (version 4) the answer to a room-change, naming its changeId: CHANGED with the new dates and price or CHANGE_REFUSED with its reason and the dates and price kept",
    headers: "SagaHeaders",
  },
  paymentRequest: {
    schema: paymentRequestMessage,
    key: "The reservation id: a booking's charge and refunds in order on one partition",
    summary:
      "Charge a guest's deposit a prepaid booking's total, refund what it was charged but `keep`, or (version 2) bring its net charge to `target` after a date change",
    headers: "SagaHeaders",
  },
  paymentResult: {
    schema: paymentResultMessage,
    key: "The reservation id",
    summary:
      "What the payment service did: CHARGED, DECLINED with its reason, REFUNDED (what it gave back and kept), or (version 2) an adjustment's answer, naming its adjustId: ADJUSTED with what the booking was charged and refunded in all, or ADJUST_DECLINED with the reason",
    headers: "SagaHeaders",
  },
  deadLetter: {
    schema: deadLetterMessage,
    key: "The original record's key",
    summary: "A record its consumer can never apply, and why; read and replayed with `pnpm dlq`",
    headers: "DeadLetterHeaders",
  },
};

const VERSIONING = `Every saga payload carries \`version\`, per message. A consumer applies only the
versions it knows: a message with any other \`version\` fails its schema and goes to the
dead-letter topic with the reason "unsupported schema version", and the consumer goes on with the
next message; it never guesses at fields it does not know. Payloads are strict: an unknown field is
refused the same way. A change that old consumers cannot read gets a new version, and consumers
learn to read it before any producer sends it; adding an optional field is such a change too. A
producer writes the lowest version that carries what it sends: \`room-reserve\` is version 3 only
for several rooms or several units (\`rooms\`), else version 2 only when it names an
\`expectedTotal\`; \`room-cancel\` is version 2 only for several rooms or units;
\`transaction-result\` is version 4 only for a change's answer (\`CHANGED\`, \`CHANGE_REFUSED\`), 3
only with the reason \`MIXED_TERMS\`, else version 2 only with a \`price\` or the reason
\`PRICE_CHANGED\`. A booking of one room is read by consumers of every build. The reservation
service sends version 3 only while \`MULTI_ROOM_MESSAGES\` is on, which an upgrade turns on once
every instance of both services reads it (docs/decisions.md). A new message is read before it is
sent too: the room service read \`room-change\` a release before any reservation service sent it,
and the reservation service sends it, and \`payment-request\` version 2 (\`PAYMENT_ADJUST\`, answered
by \`payment-result\` version 2), only while \`DATE_CHANGES\` is on.`;

export function asyncApiDocument() {
  const topics = Object.keys(TOPIC) as TopicKey[];
  const channels = Object.fromEntries(
    topics.map((topic) => [
      topic,
      {
        address: TOPIC[topic],
        description: `Kafka topic \`${TOPIC[topic]}\`, after the deployment's \`KAFKA_TOPIC_PREFIX\``,
        messages: { [topic]: { $ref: `#/components/messages/${topic}` } },
      },
    ]),
  );
  const operations = Object.fromEntries(
    (Object.keys(FLOWS) as (keyof typeof FLOWS)[]).flatMap((service) =>
      (["writes", "reads"] as const).flatMap((way) =>
        (FLOWS[service][way] as readonly TopicKey[]).map((topic) => [
          `${service}${way === "writes" ? "Sends" : "Receives"}${topic[0]?.toUpperCase()}${topic.slice(1)}`,
          {
            action: way === "writes" ? "send" : "receive",
            channel: { $ref: `#/channels/${topic}` },
            summary: `The ${clientIdOf(service)} ${way === "writes" ? "sends" : "receives"} ${TOPIC[topic]}`,
            tags: [{ name: clientIdOf(service) }],
            messages: [{ $ref: `#/channels/${topic}/messages/${topic}` }],
          },
        ]),
      ),
    ),
  );
  const messages = Object.fromEntries(
    topics.map((topic) => {
      const { schema, key, summary, headers } = MESSAGES[topic];
      return [
        topic,
        {
          name: topic,
          summary,
          contentType: "application/json",
          headers: { $ref: `#/components/schemas/${headers}` },
          payload: payloadOf(schema),
          examples: EXAMPLES[topic],
          bindings: { kafka: { key: { type: "string", description: key }, bindingVersion: "0.5.0" } },
        },
      ];
    }),
  );
  return {
    asyncapi: "3.1.0",
    info: {
      title: "Hotel booking saga: topics",
      version: "0.1.0",
      description: `The messages the saga's services exchange over Kafka: a choreography saga with compensation.\n\n## Versioning\n\n${VERSIONING}`,
    },
    defaultContentType: "application/json",
    servers: {
      local: { host: "127.0.0.1:9092", protocol: "kafka", description: "The local stack's broker (`npm start`)" },
    },
    channels,
    operations,
    components: { messages, schemas: HEADERS },
  };
}

export const renderAsyncApi = () =>
  `# Generated by \`pnpm docs:generate\` from packages/contracts (packages/ops/src/asyncapi.ts); do not edit.\n${stringify(asyncApiDocument(), { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false })}`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  writeFileSync(ASYNCAPI_FILE, renderAsyncApi());
  console.log(`docs: wrote ${path.relative(ROOT, ASYNCAPI_FILE)}`);
}
