export * from "./dates.js";
export * from "./messages.js";
export * from "./topics.js";
