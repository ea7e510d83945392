// @saga/platform/service: what every service of the saga stands on, and how its process runs.

export { servicePlugin } from "./plugin.js";
export { PLATFORM_TARGETS, type PruneTarget, pruneOnce } from "./retention.js";
export { runService } from "./run.js";
export { startSweep } from "./sweep.js";
