import type { ServiceName } from "@saga/contracts";
import { asRole, type DatabaseRoles, provisionKafka } from "@saga/platform";
import { loadConfig as loadReservationConfig } from "@saga/reservation";
import { loadConfig as loadRoomConfig } from "@saga/room";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { inject } from "vitest";
import type { Databases } from "./databases.js";

/**
 * Who the tests and the services they start log in as. On the local broker every principal has a
 * password of the run's (kafka.sh made them), and the services only the rights their ACLs give;
 * the tests themselves are the super user, as an operator staging a fault would be.
 */
export type KafkaPrincipal = "admin" | "operator" | ServiceName;

/** kafkajs' login as `user`, or none when the run's broker takes no logins. */
export function kafkaLogin(user: KafkaPrincipal, password?: string): SASLOptions | undefined {
  const credentials = inject("infra").kafkaCredentials;
  if (!credentials) return undefined;
  return { mechanism: "scram-sha-512", username: user, password: password ?? credentials[user] ?? "" };
}

/** A quiet kafkajs client of the run's broker (or `brokers`), logged in as `user` (the super user by default). */
export function kafkaClient(
  user: KafkaPrincipal = "admin",
  brokers = inject("infra").brokers,
  clientId = "saga-tests",
) {
  return new Kafka({ clientId, brokers, sasl: kafkaLogin(user), logLevel: logLevel.NOTHING });
}

/** Each service logs in as its own principal (the prefixed settings, as both share one environment). */
export function serviceKafkaEnv(): NodeJS.ProcessEnv {
  const credentials = inject("infra").kafkaCredentials;
  if (!credentials) return {};
  return {
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    RESERVATION_KAFKA_SASL_USERNAME: "reservation",
    RESERVATION_KAFKA_SASL_PASSWORD: credentials.reservation,
    ROOM_KAFKA_SASL_USERNAME: "room",
    ROOM_KAFKA_SASL_PASSWORD: credentials.room,
  };
}

/** The service's own database, logged in as the service's role (DML on its tables, nothing more). */
export function serviceDatabaseUrl(databases: Databases, service: ServiceName): string {
  const roles: DatabaseRoles = inject("infra").databaseRoles[service];
  return asRole(service === "reservation" ? databases.reservationDatabaseUrl : databases.roomDatabaseUrl, roles.app);
}

/** The topics and ACLs of both services as configured by `env`, on the brokers it names (as the stack provisions them). */
export async function provisionKafkaFor(env: NodeJS.ProcessEnv): Promise<void> {
  const services = { reservation: loadReservationConfig(env), room: loadRoomConfig(env) };
  const admin = kafkaClient("admin", services.room.kafka.brokers).admin();
  await admin.connect();
  try {
    const secured = Boolean(inject("infra").kafkaCredentials);
    await provisionKafka(admin, {
      services,
      principals: secured ? { reservation: "reservation", room: "room", operator: "operator" } : undefined,
    });
  } finally {
    await admin.disconnect();
  }
}
