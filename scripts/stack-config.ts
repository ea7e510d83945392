import { parseEnv, port } from "@saga/platform";
import { z } from "zod";

const stackEnv = z.object({
  /** The port of the broker the stack starts (`infra/kafka/kafka.sh`). */
  KAFKA_PORT: port.default(9092),
  /** The brokers the services use: the stack's own unless told otherwise. */
  KAFKA_BROKERS: z.string().min(1).optional(),
  /** A superuser of the PostgreSQL server: it creates the databases and their roles. */
  POSTGRES_ADMIN_USER: z.string().min(1).default("postgres"),
  POSTGRES_ADMIN_PASSWORD: z.string().default(""),
});

/** The local stack's validated settings beyond the services' own: where its Kafka is, who administers PostgreSQL. */
export function stackConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = parseEnv(stackEnv, env);
  return {
    kafkaBrokers: e.KAFKA_BROKERS ?? `127.0.0.1:${e.KAFKA_PORT}`,
    postgresAdmin: { name: e.POSTGRES_ADMIN_USER, password: e.POSTGRES_ADMIN_PASSWORD },
  };
}
