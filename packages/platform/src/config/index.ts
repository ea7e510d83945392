// @saga/platform/config: one validated configuration object per service, built from the environment.
export { loadAuthConfig } from "./auth.js";
export { count, longMillis, MAX_INT4, millis, millisOrZero, parseEnv, port } from "./env.js";
export {
  type AuthConfig,
  clientIdOf,
  envPrefix,
  type KafkaConfig,
  PARTITIONS_CONSUMED_CONCURRENTLY,
  type ServiceConfig,
  type ServiceDefaults,
  type ServiceSettings,
  serviceSettings,
} from "./service.js";
