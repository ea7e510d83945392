// The local stack's logins: the Kafka principals (made by infra/kafka/kafka.sh) and the PostgreSQL
// roles (made here), with passwords created on first use under .data/ (never committed).
import { execFileSync } from "node:child_process";
import path from "node:path";
import { type DatabaseRoles, ensureCredentials, parseCredentials, readCredentials } from "@saga/platform";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { ROOT } from "./root.js";

export const KAFKA_CREDENTIALS_DIR = path.join(ROOT, ".data", "kafka");
const POSTGRES_CREDENTIALS = path.join(ROOT, ".data", "postgres", "credentials");
const KAFKA = path.join(ROOT, "infra", "kafka", "kafka.sh");

export type KafkaUser = "admin" | "operator" | "reservation" | "room";

/** The principals' passwords (kafka.sh makes them when missing, as the broker's first start does). */
export function kafkaCredentials(): Record<KafkaUser, string> {
  made ??= (() => {
    execFileSync("bash", [KAFKA, "credentials", "--credentials", KAFKA_CREDENTIALS_DIR], { stdio: "ignore" });
    return readCredentials(path.join(KAFKA_CREDENTIALS_DIR, "credentials")) as Record<KafkaUser, string>;
  })();
  return made;
}
let made: Record<KafkaUser, string> | undefined;

/** kafkajs' SCRAM login as `user`. */
export function kafkaLogin(user: KafkaUser) {
  return { mechanism: "scram-sha-512" as const, username: user, password: kafkaCredentials()[user] };
}

/** A quiet kafkajs client of `brokers`, logged in with `sasl` (or not at all, for a broker without logins). */
export function quietKafka(sasl: SASLOptions | undefined, brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, sasl, logLevel: logLevel.NOTHING });
}

/** A quiet kafkajs client of `brokers`, logged in as the local stack's `user` (or not at all). */
export function localKafka(user: KafkaUser | undefined, brokers: string[], clientId: string): Kafka {
  return quietKafka(user ? kafkaLogin(user) : undefined, brokers, clientId);
}

/** The settings a service logs in to Kafka with, as `user`. */
export function kafkaLoginEnv(user: KafkaUser): NodeJS.ProcessEnv {
  return {
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: kafkaCredentials()[user],
  };
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
