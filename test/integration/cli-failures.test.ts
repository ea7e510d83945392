import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "@saga/ops/local";
import { freePortPair } from "@saga/ops/ports";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const run = promisify(execFile);
/** A tool gives up within seconds; past this it is killed, and the test fails on how it ended. */
const TOOL_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 45_000;

interface Ending {
  code: number | null;
  stderr: string;
}

/** Runs a command as an operator would, and how it ended (a null code: killed, still running at the timeout). */
function endingOf(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ending> {
  return run(command, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: TOOL_TIMEOUT_MS }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (err: { code?: unknown; stderr: string }) => ({
      code: typeof err.code === "number" ? err.code : null,
      stderr: err.stderr,
    }),
  );
}

/** A tool's script run by Node, as its `pnpm` script runs it. */
const runTool = (args: string[], env: NodeJS.ProcessEnv) =>
  endingOf(process.execPath, ["--import", "tsx", ...args], env);

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** It ended non-zero, with exactly one line on stderr, which `says`. */
function expectOneLine(ending: Ending, says: RegExp) {
  expect(ending.code).not.toBe(0);
  expect(ending.code).not.toBeNull();
  expect(ending.stderr.trim().split("\n")).toEqual([expect.stringMatching(says)]);
}

describe.concurrent("a command-line tool that cannot reach what it needs", () => {
  let scratch: string;
  /** A credentials dir with a password for every principal (none the run's broker takes). */
  let someCredentials: string;
  let missingCredentials: string;
  /** Where nothing listens: a broker and a PostgreSQL server that are not up. */
  let closed: number;
  let deadBroker: string;
  let deadDatabases: NodeJS.ProcessEnv;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "cli-failures-"));
    someCredentials = path.join(scratch, "kafka");
    await mkdir(someCredentials);
    await writeFile(path.join(someCredentials, "credentials"), "admin=not-the-password\noperator=not-the-password\n");
    missingCredentials = path.join(scratch, "never-made");
    closed = await freePortPair();
    deadBroker = `127.0.0.1:${closed}`;
    deadDatabases = Object.fromEntries(
      ["room", "payment", "reservation"].map((s) => [
        `${s.toUpperCase()}_DATABASE_URL`,
        `postgresql://postgres@127.0.0.1:${closed}/hotel_${s}`,
      ]),
    );
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  // What the lines say, as patterns: what could not be used and, where the line ends, what to run.
  const kafkaUnreachable = () => `Kafka is not reachable at ${escaped(deadBroker)} `;
  const roomDatabaseUnreachable = () =>
    `PostgreSQL is not reachable at 127\\.0\\.0\\.1:${closed}/hotel_room \\(.+\\): start PostgreSQL, or set ROOM_DATABASE_URL`;
  const noCredentials = (user: string) =>
    `no Kafka password for '${user}' in ${escaped(path.join(missingCredentials, "credentials"))}: .*run \`npm start\``;

  describe("pnpm dlq", () => {
    it(
      "when no broker listens, then `pnpm --silent dlq list` exits non-zero with one line naming the broker and `npm start`",
      async () => {
        const ending = await endingOf("pnpm", ["--silent", "dlq", "list"], {
          KAFKA_BROKERS: deadBroker,
          KAFKA_CREDENTIALS_DIR: someCredentials,
        });

        expectOneLine(ending, new RegExp(`^dlq: ${kafkaUnreachable()}.*: is the stack up\\? run \`npm start\``));
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "when the operators' Kafka password was never made, then it exits non-zero with one line naming the file",
      async () => {
        const ending = await runTool(["scripts/dlq.ts", "list"], {
          KAFKA_BROKERS: deadBroker,
          KAFKA_CREDENTIALS_DIR: missingCredentials,
        });

        expectOneLine(ending, new RegExp(`^dlq: ${noCredentials("operator")}`));
      },
      TEST_TIMEOUT_MS,
    );

    it.skipIf(!inject("infra").kafkaCredentialsDir)(
      "when the broker refuses the operators' password, then it exits non-zero with one line naming the broker and the credentials dir",
      async () => {
        const brokers = inject("infra").brokers.join(",");

        const ending = await runTool(["scripts/dlq.ts", "show", "0:0"], {
          KAFKA_BROKERS: brokers,
          KAFKA_CREDENTIALS_DIR: someCredentials,
        });

        expectOneLine(
          ending,
          new RegExp(`^dlq: Kafka at ${escaped(brokers)} refused the login of 'operator' .*KAFKA_CREDENTIALS_DIR`),
        );
      },
      TEST_TIMEOUT_MS,
    );

    it.skipIf(!inject("infra").kafkaCredentialsDir)(
      "when the broker answers but a database does not, then it exits non-zero with one line naming that database",
      async () => {
        const ending = await runTool(["scripts/dlq.ts", "list"], {
          KAFKA_BROKERS: inject("infra").brokers.join(","),
          KAFKA_CREDENTIALS_DIR: inject("infra").kafkaCredentialsDir,
          ...deadDatabases,
        });

        expectOneLine(ending, new RegExp(`^dlq: ${roomDatabaseUnreachable()}$`));
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe("pnpm kafka:provision", () => {
    it(
      "when no broker listens, then it exits non-zero with one line naming the broker and how to start one",
      async () => {
        const ending = await runTool(["scripts/image/provision.ts"], {
          KAFKA_BROKERS: deadBroker,
          KAFKA_CREDENTIALS_DIR: someCredentials,
        });

        expectOneLine(
          ending,
          new RegExp(`^provision: Kafka is not reachable at ${escaped(deadBroker)} as 'admin' .*\`pnpm kafka:up\``),
        );
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "when the admin's Kafka password was never made, then it exits non-zero with one line naming the file",
      async () => {
        const ending = await runTool(["scripts/image/provision.ts"], {
          KAFKA_BROKERS: deadBroker,
          KAFKA_CREDENTIALS_DIR: missingCredentials,
        });

        expectOneLine(ending, new RegExp(`^provision: ${noCredentials("admin")}`));
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe("pnpm stack:status", () => {
    /** The services' addresses, where none of them listens. */
    const nowhere = async () => {
      const [room, payment, reservation] = await Promise.all([freePortPair(), freePortPair(), freePortPair()]);
      return { ROOM_PORT: String(room), PAYMENT_PORT: String(payment), RESERVATION_PORT: String(reservation) };
    };

    it(
      "when neither the broker nor the databases nor the services answer, then it exits non-zero with one line naming each",
      async () => {
        const ending = await runTool(["scripts/stack.ts", "status"], {
          ...(await nowhere()),
          KAFKA_BROKERS: deadBroker,
          KAFKA_CREDENTIALS_DIR: someCredentials,
          ...deadDatabases,
        });

        expectOneLine(
          ending,
          new RegExp(`^stack: ${roomDatabaseUnreachable()}; also ${kafkaUnreachable()}.*; services not ready: room `),
        );
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "when the operators' Kafka password was never made, then it exits non-zero with one line naming the file first",
      async () => {
        const { databases } = inject("infra");
        const ending = await runTool(["scripts/stack.ts", "status"], {
          ...(await nowhere()),
          KAFKA_BROKERS: deadBroker,
          KAFKA_CREDENTIALS_DIR: missingCredentials,
          ROOM_DATABASE_URL: databases.room,
          PAYMENT_DATABASE_URL: databases.payment,
          RESERVATION_DATABASE_URL: databases.reservation,
        });

        expectOneLine(ending, new RegExp(`^stack: ${noCredentials("operator")}.*; also services not ready: room `));
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe("pnpm reconcile", () => {
    it(
      "when the stack's databases do not answer, then it exits 2 with one line naming the first and its variable",
      async () => {
        const ending = await runTool(["scripts/reconcile.ts"], deadDatabases);

        expectOneLine(ending, new RegExp(`^reconcile: ${roomDatabaseUnreachable()}$`));
        expect(ending.code).toBe(2);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "when a database given by URL does not answer, then it exits 2 with one line naming it and its option",
      async () => {
        const { databases } = inject("infra");
        const payment = `postgresql://postgres@127.0.0.1:${closed}/hotel_payment`;

        const ending = await runTool(
          [
            "scripts/reconcile.ts",
            "--room",
            databases.room,
            "--reservation",
            databases.reservation,
            "--payment",
            payment,
          ],
          {},
        );

        expectOneLine(
          ending,
          new RegExp(`^reconcile: PostgreSQL is not reachable at 127\\.0\\.0\\.1:${closed}/hotel_payment .*--payment$`),
        );
        expect(ending.code).toBe(2);
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe("pnpm db:studio", () => {
    it(
      "when the database does not answer, then it exits non-zero with one line naming it, instead of starting Studio",
      async () => {
        const port = await freePortPair();

        const ending = await runTool(["scripts/studio.ts", "room", "--port", String(port), "--browser", "none"], {
          ROOM_DATABASE_URL: `postgresql://postgres@127.0.0.1:${closed}/hotel_room`,
        });

        expectOneLine(ending, new RegExp(`^db:studio: ${roomDatabaseUnreachable()}$`));
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe("pnpm token", () => {
    it(
      "when the signing secret it is given is unusable, then it exits non-zero with one line naming the variable",
      async () => {
        const ending = await runTool(["scripts/token.ts", "guest", "ada"], { AUTH_JWT_SECRET: "too-short" });

        expectOneLine(ending, /^token: invalid configuration: AUTH_JWT_SECRET: must be at least 32 bytes$/);
      },
      TEST_TIMEOUT_MS,
    );
  });
});
