// Run by the production image (docker compose's migrate step) and by `pnpm kafka:provision`: creates
// every service's topics and grants the principals their ACLs, as `npm start` does at start-up
// (after a topic was deleted, say, or for brokers the stack did not start). KAFKA_SECURITY=none
// provisions a broker that takes no logins (topics only, no ACLs). With KAFKA_SASL_MECHANISM,
// KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD set, it logs in as that super user (docker compose's
// migrate does) instead of the local stack's admin from .data/kafka/.
import { failInOneLine, type KafkaLogin, reachKafka } from "@saga/ops/cli";
import { provisionSystem } from "@saga/ops/kafka";
import { localAuthSecret, stackConfig, storedKafkaLogin } from "@saga/ops/local";
import { serviceConfigs } from "@saga/ops/services";

failInOneLine("provision");
const { kafkaBrokers, brokers } = stackConfig();
const env = { ...process.env, KAFKA_BROKERS: kafkaBrokers, AUTH_JWT_SECRET: localAuthSecret() };
const configs = serviceConfigs(env);
const secured = process.env.KAFKA_SECURITY !== "none";

/** No login (KAFKA_SECURITY=none), the super user of KAFKA_SASL_* (as docker compose gives it), or the local stack's admin. */
function provisioner(): KafkaLogin {
  const given = configs[0]?.kafka;
  if (!secured) return { sasl: undefined, who: "no login", whenRefused: "unset KAFKA_SECURITY" };
  if (given?.sasl) {
    return { sasl: given.sasl, who: given.principal, whenRefused: "check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD" };
  }
  return storedKafkaLogin("admin");
}

const login = provisioner();
await reachKafka(brokers, login, "start it with `pnpm kafka:up` or `npm start` (or set KAFKA_BROKERS)");
try {
  await provisionSystem(env, login.sasl);
  const topics = [...new Set(configs.flatMap((c) => Object.values(c.topics)))];
  console.log(`provision: ${topics.join(", ")} at ${kafkaBrokers}${secured ? ", with their ACLs" : ""}`);
} catch (err) {
  console.error(`provision: failed: ${(err as Error).message}`);
  process.exit(1);
}
