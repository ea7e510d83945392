import path from "node:path";
import { fileURLToPath } from "node:url";
import { databaseUrl as reservationDatabaseUrl } from "@saga/reservation";
import { databaseUrl as roomDatabaseUrl } from "@saga/room";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Each service owns one database; its schema and migrations live in prisma/<service>/. */
export function serviceDatabases(env: NodeJS.ProcessEnv = process.env) {
  return [
    { service: "reservation", envVar: "RESERVATION_DATABASE_URL", url: reservationDatabaseUrl(env) },
    { service: "room", envVar: "ROOM_DATABASE_URL", url: roomDatabaseUrl(env) },
  ].map((db) => ({ ...db, migrations: path.join(ROOT, "prisma", db.service, "migrations") }));
}
