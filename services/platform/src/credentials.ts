import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** A credentials file: one `name=password` a line (the format infra/kafka/kafka.sh writes too). */
export function readCredentials(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
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
