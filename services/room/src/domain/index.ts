// The room service's domain as its integration tests use it: the saga's side, and what it prunes.
export { createPrisma } from "../plugins/prisma.js";
export { createHolds } from "./holds.js";
export { roomRetention } from "./retention.js";
