// What every command-line tool does when something it needs is not there: one line on stderr,
// `<tool>: <what it could not use>: <what to run>`, and a non-zero exit; never a stack trace.
import { errorChain } from "@saga/platform/errors";
import { innermostMessage, oneLine, ToolFailure } from "./tool-failure.js";

/** A failure no tool foresaw: its own words, said to come from Kafka when kafkajs raised it. */
function describe(err: unknown): string {
  if (err instanceof ToolFailure) return err.message;
  const fromKafka = [...errorChain(err)].some((e) => String(e.name).startsWith("KafkaJS"));
  const message = err instanceof Error && err.message.trim() ? oneLine(err.message) : innermostMessage(err);
  return fromKafka ? `Kafka: ${message}` : message;
}

/**
 * From here on, whatever the tool does not catch ends it with `<tool>: <one line>` on stderr and
 * `exitCode`: a thrown ToolFailure says what to run; anything else, its own words.
 */
export function failInOneLine(tool: string, exitCode = 1): void {
  process.on("uncaughtException", (err) => {
    process.stderr.write(`${tool}: ${describe(err)}\n`);
    process.exit(exitCode);
  });
}

export { type DatabaseAccess, type KafkaLogin, reachDatabases, reachKafka } from "./reach.js";
export { ToolFailure } from "./tool-failure.js";
