import { PLATFORM_TARGETS, type PruneTarget } from "@saga/platform/service";

/** What the room service prunes: a released hold is kept as long as a late reserve for it can come; a held one for good. */
export const roomRetention: PruneTarget[] = [
  ...PLATFORM_TARGETS,
  { table: "holds", column: "released_at", where: `"status" = 'RELEASED'` },
];
