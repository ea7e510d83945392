import { serviceSettings } from "@saga/platform/config";

export const settings = serviceSettings({
  name: "room",
  port: 3001,
  databaseUrl: "postgresql://hotel_room_app@127.0.0.1:5432/hotel_room",
});

export const { loadConfig } = settings;
export type RoomConfig = ReturnType<typeof loadConfig>;
