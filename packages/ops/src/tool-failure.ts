import { errorChain } from "@saga/platform/errors";

/** What a command-line tool could not use, in one line, and what the operator should do about it. */
export class ToolFailure extends Error {
  constructor(
    readonly what: string,
    readonly hint?: string,
  ) {
    super(hint ? `${what}: ${hint}` : what);
    this.name = "ToolFailure";
  }
}

export const oneLine = (text: string) => text.trim().replace(/\s*\n\s*/g, " ");

/** The words of the innermost error that has any (kafkajs and the drivers wrap the one that says what happened). */
export function innermostMessage(err: unknown): string {
  const messages = [...errorChain(err)].map((e) => oneLine(String(e.message ?? ""))).filter(Boolean);
  return messages.at(-1) ?? oneLine(String(err));
}
