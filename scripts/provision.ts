// Creates the saga's topics and grants the principals their ACLs, as `npm start` does at start-up:
// `pnpm kafka:provision` (after a topic was deleted, say, or for brokers the stack did not start).
// KAFKA_SECURITY=none provisions a broker that takes no logins (topics only, no ACLs). With
// KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD set, it logs in as that super
// user (docker compose's migrate does) instead of the local stack's admin from .data/kafka/.
import { localAuthSecret } from "./auth-secret.js";
import { provisionLocalKafka, sagaConfigs } from "./provisioning.js";
import { stackConfig } from "./stack-config.js";

const services = sagaConfigs({ ...process.env, AUTH_JWT_SECRET: localAuthSecret() });
const secured = process.env.KAFKA_SECURITY !== "none";
const brokers = stackConfig().kafkaBrokers.split(",");
// A super user's login in KAFKA_SASL_* (as docker compose gives it) rather than the local stack's admin.
const login = services.reservation.kafka.sasl;
try {
  await provisionLocalKafka(brokers, services, secured, login);
  const topics = [...new Set(Object.values(services).flatMap((s) => Object.values(s.topics)))];
  console.log(`provision: ${topics.join(", ")} at ${brokers.join(",")}${secured ? ", with their ACLs" : ""}`);
} catch (err) {
  console.error(`provision: failed: ${(err as Error).message}`);
  process.exit(1);
}
