import type { ServiceName } from "@saga/contracts";
import { type ServiceConfig, type ServiceSettings, serviceSettings } from "@saga/platform/config";

/**
 * The launcher's list: the system's services, in the order they start, each before those that send
 * it messages. A new service is its folder under services/, its entry in FLOWS and its line here;
 * the stack, the bench and the tests start services, make their databases and logins, provision
 * their topics and scrape their metrics by this list.
 */
export const SERVICES: readonly ServiceName[] = ["room", "payment", "reservation"];

/** A service's settings as the tools need them: its defaults and its platform configuration. */
export const settingsOf = (name: ServiceName): ServiceSettings => serviceSettings(name);

/** Every service's platform configuration as `env` gives it (topics, groups, topic settings, address). */
export const serviceConfigs = (env: NodeJS.ProcessEnv): ServiceConfig[] =>
  SERVICES.map((name) => settingsOf(name).loadConfig(env));
