import { loadServiceConfig, type ServiceConfig } from "@saga/platform";

export type RoomConfig = ServiceConfig;

export function loadConfig(source: NodeJS.ProcessEnv = process.env): RoomConfig {
  return loadServiceConfig(source, {
    prefix: "ROOM",
    name: "room-service",
    port: 3001,
    databaseUrl: "postgresql://postgres@127.0.0.1:5432/hotel_room",
  });
}
