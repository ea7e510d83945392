// The local stack's settings and logins: where its Kafka is, who administers PostgreSQL, the token
// secret, the Kafka principals (made by infra/kafka/kafka.sh) and the PostgreSQL roles (made here),
// with passwords created on first use under .data/ (never committed).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ServiceName } from "@saga/contracts";
import { parseEnv, port } from "@saga/platform/config";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { z } from "zod";
import { ensureCredentials, parseCredentials, readCredentials } from "./credentials.js";
import type { DatabaseRoles } from "./database-roles.js";
import type { KafkaLogin } from "./reach.js";
import { ROOT } from "./root.js";
import { ToolFailure } from "./tool-failure.js";

/** Where the principals' passwords are unless KAFKA_CREDENTIALS_DIR says otherwise. */
export const KAFKA_CREDENTIALS_DIR = path.join(ROOT, ".data", "kafka");
const POSTGRES_CREDENTIALS = path.join(ROOT, ".data", "postgres", "credentials");
const SECRET_FILE = path.join(ROOT, ".data", "auth", "jwt-secret");
export const KAFKA_SCRIPT = path.join(ROOT, "infra", "kafka", "kafka.sh");

const stackEnv = z.object({
  /** The port of the broker the stack starts (`infra/kafka/kafka.sh`). */
  KAFKA_PORT: port.default(9092),
  /** The brokers the services use: the stack's own unless told otherwise. */
  KAFKA_BROKERS: z.string().min(1).optional(),
  /** The principals' passwords, as infra/kafka/kafka.sh keeps them (it reads this variable too). */
  KAFKA_CREDENTIALS_DIR: z.string().min(1).default(KAFKA_CREDENTIALS_DIR),
  /** A superuser of the PostgreSQL server: it creates the databases and their roles. */
  POSTGRES_ADMIN_USER: z.string().min(1).default("postgres"),
  POSTGRES_ADMIN_PASSWORD: z.string().default(""),
});

/** The local stack's validated settings beyond the services' own: where its Kafka is, who administers PostgreSQL. */
export function stackConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = parseEnv(stackEnv, env);
  const kafkaBrokers = e.KAFKA_BROKERS ?? `127.0.0.1:${e.KAFKA_PORT}`;
  return {
    kafkaBrokers,
    brokers: kafkaBrokers.split(","),
    kafkaCredentialsDir: path.resolve(e.KAFKA_CREDENTIALS_DIR),
    postgresAdmin: { name: e.POSTGRES_ADMIN_USER, password: e.POSTGRES_ADMIN_PASSWORD },
  };
}

/**
 * The local stack's token signing secret: created on first use under .data/ (never committed),
 * the same for every service, `pnpm token` and the bench. AUTH_JWT_SECRET, when set, wins.
 */
export function localAuthSecret(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AUTH_JWT_SECRET) return env.AUTH_JWT_SECRET;
  if (!existsSync(SECRET_FILE)) {
    mkdirSync(path.dirname(SECRET_FILE), { recursive: true, mode: 0o700 });
    writeFileSync(SECRET_FILE, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return readFileSync(SECRET_FILE, "utf8").trim();
}

/** Who logs in to the brokers: each service as itself, the operators' tools, and the super user. */
export type KafkaPrincipal = ServiceName | "operator" | "admin";

/** The principals' passwords (kafka.sh makes them when missing, as the broker's first start does). */
export function kafkaCredentials(): Record<KafkaPrincipal, string> {
  made ??= (() => {
    const dir = stackConfig().kafkaCredentialsDir;
    execFileSync("bash", [KAFKA_SCRIPT, "credentials", "--credentials", dir], { stdio: "ignore" });
    return readCredentials(path.join(dir, "credentials")) as Record<KafkaPrincipal, string>;
  })();
  return made;
}
let made: Record<KafkaPrincipal, string> | undefined;

/**
 * The local stack's login of `user` for a tool: read, never made (a password made now is one no
 * running broker knows). None there yet is a ToolFailure naming the file.
 */
export function storedKafkaLogin(user: KafkaPrincipal, env: NodeJS.ProcessEnv = process.env): KafkaLogin {
  const file = path.join(stackConfig(env).kafkaCredentialsDir, "credentials");
  const password = readCredentials(file)[user];
  if (!password) {
    throw new ToolFailure(
      `no Kafka password for '${user}' in ${file}`,
      "the stack makes them when it first starts: run `npm start` (or set KAFKA_CREDENTIALS_DIR)",
    );
  }
  return {
    sasl: { mechanism: "scram-sha-512", username: user, password },
    who: `'${user}'`,
    whenRefused: `was the broker started with the passwords in ${file}? set KAFKA_CREDENTIALS_DIR to the dir it was`,
  };
}

/** kafkajs' SCRAM login as `user` with its password (the local stack's, unless `credentials` are another broker's). */
export function kafkaLogin(
  user: KafkaPrincipal,
  credentials: Record<string, string> = kafkaCredentials(),
): SASLOptions {
  return { mechanism: "scram-sha-512", username: user, password: credentials[user] ?? "" };
}

/** A quiet kafkajs client of `brokers`, logged in with `sasl` (or not at all, for a broker without logins). */
export function quietKafka(sasl: SASLOptions | undefined, brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, sasl, logLevel: logLevel.NOTHING });
}

/** A quiet kafkajs client of `brokers`, logged in as the local stack's `user` (or not at all). */
export function localKafka(user: KafkaPrincipal | undefined, brokers: string[], clientId: string): Kafka {
  return quietKafka(user ? kafkaLogin(user) : undefined, brokers, clientId);
}

/**
 * The settings each service logs in to Kafka with, as its own principal: prefixed, so that the
 * services of one environment (a test's, the bench's) each take their own.
 */
export function serviceKafkaLogins(
  services: readonly ServiceName[],
  credentials: Record<string, string> = kafkaCredentials(),
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { KAFKA_SASL_MECHANISM: "scram-sha-512" };
  for (const service of services) {
    env[`${service.toUpperCase()}_KAFKA_SASL_USERNAME`] = service;
    env[`${service.toUpperCase()}_KAFKA_SASL_PASSWORD`] = credentials[service] ?? "";
  }
  return env;
}

/** The operators' role, one for every database (it reads, for Prisma Studio and psql). */
export const OPERATOR_ROLE = "hotel_operator";

/**
 * Role passwords handed in by the environment, `role=password` pairs separated by commas, which win
 * over .data/postgres/: docker compose's migrate step gets the host's so (`pnpm compose:env`).
 */
function givenRolePasswords(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return parseCredentials((env.DATABASE_ROLE_PASSWORDS ?? "").split(","));
}

/** The roles of the database `name`: `<name>_owner` (migrations), `<name>_app` (its service) and the operators'. */
export function databaseRoles(name: string): DatabaseRoles {
  const names = { owner: `${name}_owner`, app: `${name}_app`, operator: OPERATOR_ROLE };
  const given = givenRolePasswords();
  const passwords = Object.values(names).every((role) => given[role])
    ? given
    : ensureCredentials(POSTGRES_CREDENTIALS, Object.values(names));
  const role = (role: string) => ({ name: role, password: passwords[role] ?? "" });
  return { owner: role(names.owner), app: role(names.app), operator: role(names.operator) };
}

export { ensureCredentials, parseCredentials, readCredentials } from "./credentials.js";
export { ROOT } from "./root.js";
