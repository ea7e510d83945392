// The reservation service's domain as its integration tests use it, on a database of theirs.
export { PrismaClient } from "../generated/prisma/client.js";
export { createPrisma } from "../plugins/prisma.js";
export { createReservations, type Reservations } from "./reservations.js";
