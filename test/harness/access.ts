import type { ServiceName } from "@saga/contracts";
import { asRole } from "@saga/ops/databases";
import { provisionSystem } from "@saga/ops/kafka";
import { type KafkaPrincipal, kafkaLogin as loginWith, quietKafka, serviceKafkaLogins } from "@saga/ops/local";
import { SERVICES } from "@saga/ops/services";
import type { SASLOptions } from "kafkajs";
import { inject } from "vitest";
import type { Databases } from "./databases.js";

/**
 * Who the tests and the services they start log in as. On the local broker every principal has a
 * password of the run's (kafka.sh made them), and the services only the rights their ACLs give;
 * the tests themselves are the super user, as an operator staging a fault would be.
 */
export function kafkaLogin(user: KafkaPrincipal, password?: string): SASLOptions | undefined {
  const credentials = inject("infra").kafkaCredentials;
  if (!credentials) return undefined;
  return loginWith(user, password === undefined ? credentials : { [user]: password });
}

/** A quiet kafkajs client of the run's broker (or `brokers`), logged in as `user` (the super user by default). */
export function kafkaClient(
  user: KafkaPrincipal = "admin",
  brokers = inject("infra").brokers,
  clientId = "saga-tests",
) {
  return quietKafka(kafkaLogin(user), brokers, clientId);
}

/** Each service logs in as its own principal (the prefixed settings, as they share one environment). */
export function serviceKafkaEnv(): NodeJS.ProcessEnv {
  const credentials = inject("infra").kafkaCredentials;
  return credentials ? serviceKafkaLogins(SERVICES, credentials) : {};
}

/** The service's own database, logged in as the service's role (DML on its tables, nothing more). */
export function serviceDatabaseUrl(databases: Databases, service: ServiceName): string {
  return asRole(databases[service], inject("infra").databaseRoles[service].app);
}

/** The topics and ACLs of every service as configured by `env`, on the brokers it names (as the stack provisions them). */
export const provisionKafkaFor = (env: NodeJS.ProcessEnv) => provisionSystem(env, kafkaLogin("admin"));

/** The system's three databases as the operators' role (reads only), as `pnpm reconcile` and the reconciler log in. */
export function operatorDatabaseUrls(databases: Databases): { room: string; reservation: string; payment: string } {
  const roles = inject("infra").databaseRoles;
  return {
    room: asRole(databases.room, roles.room.operator),
    reservation: asRole(databases.reservation, roles.reservation.operator),
    payment: asRole(databases.payment, roles.payment.operator),
  };
}
