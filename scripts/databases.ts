import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig as loadReservationConfig } from "@saga/reservation";
import { loadConfig as loadRoomConfig } from "@saga/room";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Each service owns one database; its schema and migrations live in prisma/<service>/. */
export function serviceDatabases(env: NodeJS.ProcessEnv = process.env) {
  return [
    { service: "reservation", envVar: "RESERVATION_DATABASE_URL", url: loadReservationConfig(env).databaseUrl },
    { service: "room", envVar: "ROOM_DATABASE_URL", url: loadRoomConfig(env).databaseUrl },
  ].map((db) => ({ ...db, migrations: path.join(ROOT, "prisma", db.service, "migrations") }));
}
