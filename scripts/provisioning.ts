import { provisionKafka, type ServiceConfig } from "@saga/platform";
import { Kafka, logLevel } from "kafkajs";
import { kafkaLogin } from "./local-access.js";

/**
 * The saga's topics and, on a broker with logins, each principal's ACLs, made as the super user
 * (the stack's `admin`, from .data/kafka/). With `secured` false (a broker without logins), topics only.
 */
export async function provisionLocalKafka(
  brokers: string[],
  services: Partial<Record<"reservation" | "room", ServiceConfig>>,
  secured = true,
): Promise<void> {
  const sasl = secured ? kafkaLogin("admin") : undefined;
  const admin = new Kafka({ clientId: "provision", brokers, sasl, logLevel: logLevel.NOTHING }).admin();
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
