export * from "./dates.js";
export * from "./flows.js";
export * from "./ids.js";
export * from "./messages.js";
export * from "./money.js";
export * from "./rooms.js";
export * from "./text.js";
export * from "./topics.js";
