import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./root.js";

const SECRET_FILE = path.join(ROOT, ".data", "auth", "jwt-secret");

/**
 * The local stack's token signing secret: created on first use under .data/ (never committed),
 * the same for both services, `pnpm token` and the bench. AUTH_JWT_SECRET, when set, wins.
 */
export function localAuthSecret(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AUTH_JWT_SECRET) return env.AUTH_JWT_SECRET;
  if (!existsSync(SECRET_FILE)) {
    mkdirSync(path.dirname(SECRET_FILE), { recursive: true, mode: 0o700 });
    writeFileSync(SECRET_FILE, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return readFileSync(SECRET_FILE, "utf8").trim();
}
