// Creates the saga's topics and grants the principals their ACLs, as `npm start` does at start-up:
// `pnpm kafka:provision` (after a topic was deleted, say, or for brokers the stack did not start).
// KAFKA_SECURITY=none provisions a broker that takes no logins (topics only, no ACLs).
import { localAuthSecret } from "./auth-secret.js";
import { provisionLocalKafka, sagaConfigs } from "./provisioning.js";
import { stackConfig } from "./stack-config.js";

const services = sagaConfigs({ ...process.env, AUTH_JWT_SECRET: localAuthSecret() });
const secured = process.env.KAFKA_SECURITY !== "none";
const brokers = stackConfig().kafkaBrokers.split(",");
try {
  await provisionLocalKafka(brokers, services, secured);
  const topics = [...new Set(Object.values(services).flatMap((s) => Object.values(s.topics)))];
  console.log(`provision: ${topics.join(", ")} at ${brokers.join(",")}${secured ? ", with their ACLs" : ""}`);
} catch (err) {
  console.error(`provision: failed: ${(err as Error).message}`);
  process.exit(1);
}
