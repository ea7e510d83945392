// The reservation service's domain as its integration tests use it, on a database of theirs.
export { PrismaClient } from "../generated/prisma/client.js";
export { createPrisma } from "../plugins/prisma.js";
export { httpRoomCatalog } from "../plugins/room-catalog.js";
/** The hotel's list's statement, for the test that reads its plan. */
export { hotelBookings } from "./reservation-queries.js";
export { createReservations, type Reservations } from "./reservations.js";
