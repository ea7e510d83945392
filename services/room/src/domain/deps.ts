import type { Topics } from "@saga/contracts";
import type { PrismaClient } from "../generated/prisma/client.js";

export interface RoomDeps {
  db: PrismaClient;
  topics: Topics;
}
