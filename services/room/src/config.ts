import { serviceSettings } from "@saga/platform/config";

/** The room service: the platform's settings, nothing of its own. */
export const settings = serviceSettings("room");

export const { loadConfig } = settings;
export type RoomConfig = ReturnType<typeof loadConfig>;
