import type { Topics } from "@saga/contracts";
import type { PrismaClient } from "../generated/prisma/client.js";

export interface ReservationDeps {
  db: PrismaClient;
  topics: Topics;
  sagaDeadlineMs: number;
}
