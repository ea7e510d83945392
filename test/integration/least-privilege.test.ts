import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import {
  newPaymentCharge,
  newPaymentRefund,
  newPaymentResult,
  newRoomCancel,
  newRoomReserve,
  newTransactionResult,
} from "@saga/contracts";
import { asRole, withDatabase } from "@saga/ops/databases";
import { revokeAcls } from "@saga/ops/kafka";
import { KAFKA_SCRIPT, type KafkaPrincipal, ROOT, readCredentials } from "@saga/ops/local";
import { freePortPair } from "@saga/ops/ports";
import { SERVICES } from "@saga/ops/services";
import { loadConfig as loadPaymentConfig } from "@saga/payment";
import { createFastify } from "@saga/platform/http";
import { createKafka } from "@saga/platform/messaging";
import { loadConfig as loadReservationConfig } from "@saga/reservation";
import { loadConfig as loadRoomConfig } from "@saga/room";
import kafkajs, { Kafka, logLevel, Partitioners, type SASLOptions } from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  asGuest,
  availability,
  book,
  createRoom,
  creditDeposit,
  getBooking,
  kafkaClient,
  kafkaLogin,
  type LocalBroker,
  prepaid,
  provisionKafkaFor,
  recordTopic,
  startLocalBroker,
  startSystem,
  testEnv,
  uniquePrefix,
  waitFor,
  waitForStatus,
} from "../harness/index.js";

const run = promisify(execFile);

/** What the broker answers `user` producing one message to `topic`: "ok", or kafkajs' error type or name. */
async function produceAs(user: KafkaPrincipal, topic: string, key: string, value: object): Promise<string> {
  const producer = kafkaClient(user).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 0 },
  });
  try {
    await producer.connect();
    await producer.send({ topic, messages: [{ key, value: JSON.stringify(value) }] });
    return "ok";
  } catch (err) {
    // With no retries left, kafkajs may wrap the broker's answer in a KafkaJSNonRetriableError.
    const e = err as { type?: string; name?: string; cause?: { type?: string } };
    return e.type ?? e.cause?.type ?? e.name ?? String(err);
  } finally {
    await producer.disconnect();
  }
}

/**
 * How the broker answers a consumer of `user` in `groupId` on `topic`. kafkajs reports a refused
 * coordinator lookup only as "coordinator not found", so the broker's own error code is read from
 * kafkajs' debug log of that lookup.
 */
async function joinAs(user: KafkaPrincipal, groupId: string, topic: string): Promise<string[]> {
  const answers: string[] = [];
  const kafka = new Kafka({
    clientId: `${user}-intruder`,
    brokers: inject("infra").brokers,
    sasl: kafkaLogin(user),
    logLevel: logLevel.DEBUG,
    logCreator:
      () =>
      ({ log }) => {
        const error = (log as { error?: { type?: string } }).error;
        if (log.message === "Tried to find group coordinator" && error?.type) answers.push(error.type);
      },
  });
  const consumer = kafka.consumer({ groupId, retry: { retries: 0 } });
  let crashed = false;
  consumer.on(consumer.events.CRASH, () => {
    crashed = true;
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await waitFor(
      async () => crashed,
      (value) => value,
      { what: `${user}'s consumer in ${groupId} to be refused` },
    );
    return [...new Set(answers)];
  } finally {
    await consumer.disconnect();
  }
}

/** What the broker answers a client that asks for its topics: "ok", or the error kafkajs reports. */
async function listTopicsWith(sasl: SASLOptions | undefined): Promise<string> {
  const kafka = new Kafka({ clientId: "intruder", brokers: inject("infra").brokers, sasl, logLevel: logLevel.NOTHING });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.listTopics();
    return "ok";
  } catch (err) {
    return (err as Error).name;
  } finally {
    await admin.disconnect();
  }
}

describe("least privilege on the broker", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system?.close());

  it("when a client logs in with no credentials or a wrong password, then the broker refuses it", async () => {
    expect(await listTopicsWith(kafkaLogin("operator"))).toBe("ok");
    // A listener that wants a SASL handshake closes the connection of a client that sends none.
    expect(await listTopicsWith(undefined)).toBe("KafkaJSConnectionClosedError");
    expect(await listTopicsWith(kafkaLogin("room", "not-the-password"))).toBe("KafkaJSSASLAuthenticationError");
  });

  it("when the room service's principal produces to room-reserve or room-cancel, then the broker refuses it", async () => {
    const stay = aStay();
    const reserve = newRoomReserve({ reservationId: crypto.randomUUID(), roomId: crypto.randomUUID(), ...stay });
    const cancel = newRoomCancel({ reservationId: crypto.randomUUID(), roomId: crypto.randomUUID(), ...stay });

    expect(await produceAs("room", system.topics.roomReserve, reserve.reservationId, reserve)).toBe(
      "TOPIC_AUTHORIZATION_FAILED",
    );
    expect(await produceAs("room", system.topics.roomCancel, cancel.reservationId, cancel)).toBe(
      "TOPIC_AUTHORIZATION_FAILED",
    );
  });

  it("when anyone but the room service forges a SUCCESS or a mismatched cancel, then the broker refuses both and nothing changes", async () => {
    const room = await createRoom(system.room, { units: 1 });
    const other = await createRoom(system.room, { units: 1 });
    const stay = aStay(2);
    const taken = await book(system.reservation, aBooking({ roomId: room.id, ...stay }));
    await waitForStatus(system.reservation, taken.id, ["SUCCESS"]);
    const refused = await book(system.reservation, aBooking({ roomId: room.id, ...stay }));
    await waitForStatus(system.reservation, refused.id, ["FAILURE"]);
    const nightsBefore = await availability(system.room, room.id, stay.checkIn, stay.checkOut);
    const results = await recordTopic(system.topics.transactionResult);
    const cancels = await recordTopic(system.topics.roomCancel);
    await results.caughtUp();
    await cancels.caughtUp();
    const [resultsBefore, cancelsBefore] = [results.received.length, cancels.received.length];

    const forgedSuccess = newTransactionResult({ reservationId: refused.id, status: "SUCCESS" });
    const forgedCancel = newRoomCancel({ reservationId: taken.id, roomId: other.id, ...stay });
    const answers = {
      success: await Promise.all(
        (["reservation", "operator"] as const).map((user) =>
          produceAs(user, system.topics.transactionResult, refused.id, forgedSuccess),
        ),
      ),
      cancel: await Promise.all(
        (["room", "operator"] as const).map((user) =>
          produceAs(user, system.topics.roomCancel, taken.id, forgedCancel),
        ),
      ),
    };

    expect(answers).toEqual({
      success: ["TOPIC_AUTHORIZATION_FAILED", "TOPIC_AUTHORIZATION_FAILED"],
      cancel: ["TOPIC_AUTHORIZATION_FAILED", "TOPIC_AUTHORIZATION_FAILED"],
    });
    await results.caughtUp();
    await cancels.caughtUp();
    expect([results.received.length, cancels.received.length]).toEqual([resultsBefore, cancelsBefore]);
    await Promise.all([results.stop(), cancels.stop()]);
    expect((await getBooking(system.reservation, refused.id)).status).toBe("FAILURE");
    expect((await getBooking(system.reservation, taken.id)).status).toBe("SUCCESS");
    expect(await availability(system.room, room.id, stay.checkIn, stay.checkOut)).toEqual(nightsBefore);
  });

  it("when anyone but the reservation service asks for a charge or a refund, or anyone but the payment service answers one, then the broker refuses it and no money moves", async () => {
    const guestId = `guest-${crypto.randomUUID()}`;
    await creditDeposit(system.payment, guestId, 50_000);
    const room = await createRoom(system.room, { units: 1, ...prepaid(10_000) });
    const paid = await book(system.reservation, aBooking({ roomId: room.id, ...aStay(2) }), asGuest(guestId));
    await waitForStatus(system.reservation, paid.id, ["SUCCESS"]);
    const account = async () =>
      (await system.payment.inject({ method: "GET", url: "/accounts/me", headers: asGuest(guestId) })).json();
    const before = await account();
    const requests = await recordTopic(system.topics.paymentRequest);
    const replies = await recordTopic(system.topics.paymentResult);
    await Promise.all([requests.caughtUp(), replies.caughtUp()]);
    const counted = () => [requests.received.length, replies.received.length];
    const [requestsBefore, repliesBefore] = counted();

    const victim = crypto.randomUUID();
    const charge = newPaymentCharge({ reservationId: victim, guestId, amount: 50_000, currency: "EUR" });
    const refund = newPaymentRefund({ reservationId: paid.id, guestId, currency: "EUR", keep: 0, reason: "CANCELLED" });
    const refunded = newPaymentResult({
      reservationId: paid.id,
      status: "REFUNDED",
      currency: "EUR",
      refunded: 20_000,
      kept: 0,
    });
    const forgers = ["room", "payment", "operator"] as const;
    const answers = {
      charge: await Promise.all(forgers.map((u) => produceAs(u, system.topics.paymentRequest, victim, charge))),
      refund: await Promise.all(forgers.map((u) => produceAs(u, system.topics.paymentRequest, paid.id, refund))),
      reply: await Promise.all(
        (["reservation", "room", "operator"] as const).map((u) =>
          produceAs(u, system.topics.paymentResult, paid.id, refunded),
        ),
      ),
    };

    const refused = Array(3).fill("TOPIC_AUTHORIZATION_FAILED");
    expect(answers).toEqual({ charge: refused, refund: refused, reply: refused });
    await Promise.all([requests.caughtUp(), replies.caughtUp()]);
    expect(counted()).toEqual([requestsBefore, repliesBefore]);
    await Promise.all([requests.stop(), replies.stop()]);
    expect(await account()).toEqual(before);
    expect((await getBooking(system.reservation, paid.id)).status).toBe("SUCCESS");
  });

  it("when a consumer logs in with another service's credentials, then it cannot join that service's group", async () => {
    const reservationGroup = `${system.prefix}reservation-service`;
    const roomGroup = `${system.prefix}room-service`;

    expect(await joinAs("room", reservationGroup, system.topics.roomReserve)).toEqual(["GROUP_AUTHORIZATION_FAILED"]);
    expect(await joinAs("reservation", roomGroup, system.topics.transactionResult)).toEqual([
      "GROUP_AUTHORIZATION_FAILED",
    ]);
  });
});

describe("provisioning's ACLs", () => {
  it("when a prefix's grants are revoked, then no ACL is left on its topics and groups", async () => {
    const env = testEnv(uniquePrefix("acl"), inject("infra").databases);
    await provisionKafkaFor(env);
    const services = [loadReservationConfig(env), loadRoomConfig(env), loadPaymentConfig(env)];
    const granted = {
      topics: [...new Set(services.flatMap((s) => Object.values(s.topics)))],
      groups: services.map((s) => s.kafka.groupId),
      groupPrefixes: [`${env.KAFKA_TOPIC_PREFIX}operator`],
    };
    const admin = kafkaClient("admin").admin();
    await admin.connect();
    const left = async () => {
      const { resources } = await admin.describeAcls({
        resourceType: kafkajs.AclResourceTypes.ANY,
        resourceName: undefined,
        resourcePatternType: kafkajs.ResourcePatternTypes.ANY,
        operation: kafkajs.AclOperationTypes.ANY,
        permissionType: kafkajs.AclPermissionTypes.ANY,
      });
      const ours = new Set([...granted.topics, ...granted.groups, ...granted.groupPrefixes]);
      return resources.filter((r) => ours.has(r.resourceName)).reduce((n, r) => n + r.acls.length, 0);
    };
    try {
      expect(await left()).toBeGreaterThan(0);

      await revokeAcls(admin, [...SERVICES, "operator"], granted);

      expect(await left()).toBe(0);
    } finally {
      await admin.disconnect();
    }
  });
});

describe("least privilege in PostgreSQL", () => {
  const roles = () => inject("infra").databaseRoles;

  async function asReservationRole<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: asRole(url, roles().reservation.app) });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  const sqlState = (promise: Promise<unknown>) =>
    promise.then(
      () => "ok",
      (err: { code?: string }) => err.code,
    );

  it("when the reservation service's role connects to the room database, then it is refused", async () => {
    const state = await sqlState(asReservationRole(inject("infra").databases.room, (c) => c.query("SELECT 1")));

    expect(state).toBe("42501"); // insufficient_privilege: permission denied for database
  });

  it("when the reservation service's role runs DDL or TRUNCATE on its own database, then each is refused and the tables stay", async () => {
    const url = inject("infra").databases.reservation;
    const attempts = await asReservationRole(url, async (client) => ({
      rows: await sqlState(client.query("SELECT count(*) FROM reservations")),
      create: await sqlState(client.query("CREATE TABLE intruder (id int)")),
      alter: await sqlState(client.query("ALTER TABLE reservations ADD COLUMN intruder int")),
      drop: await sqlState(client.query("DROP TABLE outbox")),
      truncate: await sqlState(client.query("TRUNCATE reservations")),
      role: (
        await client.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
          "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user",
        )
      ).rows[0],
    }));

    expect(attempts).toEqual({
      rows: "ok",
      create: "42501",
      alter: "42501",
      drop: "42501",
      truncate: "42501",
      role: { rolsuper: false, rolcreaterole: false, rolcreatedb: false },
    });
    const admin = new pg.Client({
      connectionString: withDatabase(inject("infra").postgresUrl, new URL(url).pathname.slice(1)),
    });
    await admin.connect();
    const { rows } = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'reservations' AND column_name = 'intruder'",
    );
    const tables = await admin.query("SELECT to_regclass('outbox') AS outbox, to_regclass('intruder') AS intruder");
    await admin.end();
    expect(rows[0]?.n).toBe(0);
    expect(tables.rows[0]).toEqual({ outbox: "outbox", intruder: null });
  });
});

/** What the broker answers `user` logging in with `password` and listing topics: "ok", or the error's name. */
function loginAnswer(brokers: string[], user: string, password: string): Promise<string> {
  const kafka = new Kafka({
    clientId: "login",
    brokers,
    sasl: { mechanism: "scram-sha-512", username: user, password },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  return admin
    .connect()
    .then(() => admin.listTopics())
    .then(
      () => "ok",
      (err: Error) => err.name,
    )
    .finally(() => admin.disconnect());
}

describe("rotating a principal's password", () => {
  let broker: LocalBroker | undefined;
  const credentialsDir = path.join(ROOT, ".data", `test-rotate-${process.pid}`);
  afterAll(async () => {
    await broker?.stop();
    await rm(credentialsDir, { recursive: true, force: true });
  });

  it("when kafka.sh rotates the room principal's password, then the old one is refused and the new one, written to the credentials, logs in", async () => {
    await rm(credentialsDir, { recursive: true, force: true });
    broker = await startLocalBroker(await freePortPair(), [], credentialsDir);
    const before = readCredentials(path.join(credentialsDir, "credentials"));
    const logsIn = (password: string | undefined) => loginAnswer(broker?.brokers ?? [], "room", password ?? "");
    expect(await logsIn(before.room)).toBe("ok");

    const port = broker.brokers[0]?.split(":")[1] ?? "";
    await run("bash", [KAFKA_SCRIPT, "rotate", "room", "--port", port, "--credentials", credentialsDir]);

    const after = readCredentials(path.join(credentialsDir, "credentials"));
    expect(after.room).not.toBe(before.room);
    expect({ ...after, room: before.room }).toEqual(before);
    expect(await logsIn(before.room)).toBe("KafkaJSSASLAuthenticationError");
    expect(await logsIn(after.room)).toBe("ok");
  });

  it("when a service is new since the broker's data was formatted, then the next start gives its principal a login, once", async () => {
    const port = broker?.brokers[0]?.split(":")[1] ?? "";
    const dataDir = path.join(ROOT, ".data", `test-kafka-${port}`);
    const credentials = readCredentials(path.join(credentialsDir, "credentials"));
    const logsInAs = (user: string) => loginAnswer(broker?.brokers ?? [], user, credentials[user] ?? "");
    // As on a broker formatted before the payment service existed: no SCRAM credential, not listed.
    await run("java", [
      "-cp",
      path.join(ROOT, "infra", "kafka", ".cache", "lib", "*"),
      "kafka.admin.ConfigCommand",
      ...["--bootstrap-server", `127.0.0.1:${port}`, "--command-config", path.join(credentialsDir, "admin.properties")],
      ...["--alter", "--entity-type", "users", "--entity-name", "payment", "--delete-config", "SCRAM-SHA-512"],
    ]);
    const listed = await readFile(path.join(dataDir, "principals"), "utf8");
    await writeFile(path.join(dataDir, "principals"), listed.replace(/^payment\n/m, ""));
    expect(await logsInAs("payment")).toBe("KafkaJSSASLAuthenticationError");
    await broker?.stop();

    const started = await run("bash", [
      KAFKA_SCRIPT,
      "start",
      "--port",
      port,
      "--controller-port",
      String(Number(port) + 1),
      "--data",
      dataDir,
      "--credentials",
      credentialsDir,
    ]);
    const again = await run("bash", [
      KAFKA_SCRIPT,
      "start",
      "--port",
      port,
      "--controller-port",
      String(Number(port) + 1),
      "--data",
      dataDir,
      "--credentials",
      credentialsDir,
    ]);

    expect(started.stderr).toMatch(/added the principal payment \(new since .* was formatted\)/);
    expect(again.stderr).not.toMatch(/added the principal/);
    expect(await logsInAs("payment")).toBe("ok");
    expect((await readFile(path.join(dataDir, "principals"), "utf8")).split("\n")).toContain("payment");
  });

  // The start budget is far longer than the test may take: the refusal must be said as soon as a
  // probe is refused, not when the budget runs out (a loaded machine may need most of a budget to start).
  it("when the credentials are made anew under a broker's old data, then it will not start and says at once which credentials it refuses", {
    timeout: 120_000,
  }, async () => {
    const port = broker?.brokers[0]?.split(":")[1] ?? "";
    await broker?.stop();
    await rm(path.join(credentialsDir, "credentials"));
    const dataDir = path.join(ROOT, ".data", `test-kafka-${port}`);
    const start = ["start", "--port", port, "--controller-port", String(Number(port) + 1), "--data", dataDir];

    const failed = await run("bash", [KAFKA_SCRIPT, ...start, "--credentials", credentialsDir], {
      env: { ...process.env, KAFKA_START_TIMEOUT: "600" },
    }).catch((err: { code: number; stderr: string }) => err);

    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr.trim()).toMatch(
      /refuses admin's password from .*test-rotate-\d+\/credentials: was .* formatted with other credentials\?/,
    );
  });
});

describe("TLS to the brokers", () => {
  const credentialsDir = path.join(ROOT, ".data", `test-tls-${process.pid}`);
  let dataDir = "";
  afterAll(async () => {
    if (dataDir) await run("bash", [KAFKA_SCRIPT, "stop", "--data", dataDir]).catch(() => {});
    await rm(credentialsDir, { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("when a service sets KAFKA_SSL with the brokers' CA, then it logs in over TLS; trusting only the system's CAs, it is refused", async () => {
    const port = await freePortPair();
    const tlsPort = await freePortPair();
    dataDir = path.join(ROOT, ".data", `test-kafka-tls-${port}`);
    const node = ["--port", String(port), "--controller-port", String(port + 1), "--data", dataDir];
    await run(
      "bash",
      [KAFKA_SCRIPT, "start", ...node, "--tls-port", String(tlsPort), "--credentials", credentialsDir],
      {
        timeout: 180_000,
      },
    );
    const password = readCredentials(path.join(credentialsDir, "credentials")).room ?? "";
    const login = (extra: NodeJS.ProcessEnv) =>
      loadRoomConfig({
        ...testEnv(uniquePrefix("tls"), inject("infra").databases),
        KAFKA_BROKERS: `127.0.0.1:${tlsPort}`,
        ROOM_KAFKA_SASL_PASSWORD: password,
        KAFKA_SSL: "true",
        ...extra,
      });
    const answer = async (config: ReturnType<typeof loadRoomConfig>) => {
      const admin = createKafka(config.kafka, createFastify().log).admin({ retry: { retries: 0 } });
      try {
        await admin.connect();
        return { topics: await admin.listTopics() };
      } catch (err) {
        return { refused: (err as Error).message };
      } finally {
        await admin.disconnect();
      }
    };

    const trusted = await answer(login({ KAFKA_SSL_CA_FILE: path.join(credentialsDir, "tls", "ca.pem") }));
    const untrusted = await answer(login({}));

    expect(trusted).toEqual({ topics: [] });
    expect(untrusted).toEqual({ refused: expect.stringMatching(/self-signed certificate in certificate chain/) });
  });
});
