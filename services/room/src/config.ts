import { type ServiceConfig, serviceSettings } from "@saga/platform";

export type RoomConfig = ServiceConfig;

export const { loadConfig, databaseUrl } = serviceSettings({
  prefix: "ROOM",
  name: "room-service",
  port: 3001,
  databaseUrl: "postgresql://hotel_room_app@127.0.0.1:5432/hotel_room",
});
