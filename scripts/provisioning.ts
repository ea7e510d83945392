import { provisionKafka, type ServiceConfig } from "@saga/platform";
import { loadConfig as loadReservationConfig } from "@saga/reservation";
import { loadConfig as loadRoomConfig } from "@saga/room";
import type { SASLOptions } from "kafkajs";
import { localKafka, quietKafka } from "./local-access.js";

export type SagaConfigs = Record<"reservation" | "room", ServiceConfig>;

/** Both services' configurations as `env` gives them (topics, groups, topic settings). */
export const sagaConfigs = (env: NodeJS.ProcessEnv): SagaConfigs => ({
  reservation: loadReservationConfig(env),
  room: loadRoomConfig(env),
});

/**
 * The saga's topics and, on a broker with logins, each principal's ACLs, made as the super user
 * (the stack's `admin`, from .data/kafka/). With `secured` false (a broker without logins), topics only.
 */
export async function provisionLocalKafka(
  brokers: string[],
  services: Partial<SagaConfigs>,
  secured = true,
  login?: SASLOptions,
): Promise<void> {
  const admin = (
    login ? quietKafka(login, brokers, "provision") : localKafka(secured ? "admin" : undefined, brokers, "provision")
  ).admin();
  try {
    await admin.connect();
    await provisionKafka(admin, {
      services,
      principals: secured ? { reservation: "reservation", room: "room", operator: "operator" } : undefined,
    });
  } finally {
    await admin.disconnect();
  }
}
