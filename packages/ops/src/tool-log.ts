import type { ConnectionLog } from "@saga/platform/sql";

/** What a command-line tool tells of a connection it lost, or a clean-up that failed: one line on stderr. */
export const toolLog: ConnectionLog = {
  warn: (fields: unknown, message?: string) => {
    const detail = fields && typeof fields === "object" && "err" in fields ? `: ${String(fields.err)}` : "";
    process.stderr.write(`${message ?? String(fields)}${detail}\n`);
  },
} as ConnectionLog;
