import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** `name=password` entries as a record (the password may hold `=`); entries without one are skipped. */
export function parseCredentials(entries: string[]): Record<string, string> {
  return Object.fromEntries(
    entries
      .filter((entry) => entry.includes("="))
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

/** A credentials file: one `name=password` a line (the format infra/kafka/kafka.sh writes too). */
export function readCredentials(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return parseCredentials(readFileSync(file, "utf8").split("\n"));
}

/** The passwords of `names` in `file`, a random one made (and kept, readable by the owner only) for each missing. */
export function ensureCredentials(file: string, names: string[]): Record<string, string> {
  const known = readCredentials(file);
  const missing = names.filter((name) => !known[name]);
  if (missing.length > 0) {
    for (const name of missing) known[name] = randomBytes(24).toString("base64url");
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const text = Object.entries(known).map(([name, password]) => `${name}=${password}\n`);
    writeFileSync(file, text.join(""), { mode: 0o600 });
  }
  return known;
}
