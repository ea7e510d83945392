import type { ServiceName } from "@saga/contracts";
import type { ServiceConfig, ServiceSettings } from "@saga/platform/config";
import { settings as reservation } from "@saga/reservation/config";
import { settings as room } from "@saga/room/config";
import type { FastifyPluginAsync } from "fastify";

/**
 * The launcher's list: the system's services, in the order they start, each before those that
 * send it messages. A new service is its folder under services/, its entry in FLOWS and its line
 * here; everything the stack, the bench and the tests do with services goes through this list.
 */
export const SERVICES: readonly ServiceSettings[] = [room, reservation];

export const serviceNames = (): ServiceName[] => SERVICES.map((s) => s.defaults.name);

export function settingsOf(name: ServiceName): ServiceSettings {
  const found = SERVICES.find((s) => s.defaults.name === name);
  if (!found) throw new Error(`no service ${name} in the launcher's list`);
  return found;
}

/** Every service's configuration as `env` gives it (topics, groups, topic settings, ports). */
export const serviceConfigs = (env: NodeJS.ProcessEnv) => SERVICES.map((s) => s.loadConfig(env));

/** A service's app plugin (its package's default export), to run it in a test's own process. */
export async function appOf(name: ServiceName): Promise<FastifyPluginAsync<{ config: ServiceConfig }>> {
  return (await import(`@saga/${name}`)).default;
}
