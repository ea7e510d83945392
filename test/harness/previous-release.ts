// The previous release (ea6ff41, before bookings of several rooms), for the rolling-upgrade tests:
// its room messages as its consumers read them, frozen here (its versions are these and no others;
// its payloads are strict, as ours are), and its services themselves, to run beside this build's.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ROOT } from "@saga/ops/local";
import { z } from "zod";

// Its building blocks as it had them, not this build's: a change to ours must not change the old reader.
const uuid = z.uuid().toLowerCase();
const isoDate = z.iso.date();
const minorUnits = z.int().max(1_000_000_000);
const currency = z.string().regex(/^[A-Z]{3}$/);
const money = z.strictObject({ amount: minorUnits.positive(), currency });
const heldPrice = z.strictObject({
  currency,
  nights: z.array(minorUnits.min(0)).min(1),
  total: minorUnits.min(0),
  payment: z.enum(["AT_HOTEL", "PREPAID"]),
  cancellation: z.strictObject({ freeUntilHours: z.int().min(0).max(8_760), penaltyNights: z.int().min(0).max(30) }),
});

const envelope = <V extends number>(version: V) => ({
  messageId: uuid,
  reservationId: uuid,
  version: z.literal(version),
  occurredAt: z.iso.datetime(),
});
const reserve = { type: z.literal("ROOM_RESERVE"), roomId: uuid, checkIn: isoDate, checkOut: isoDate };
const REASONS_V1 = ["NO_AVAILABILITY", "ROOM_NOT_FOUND", "CANCELLED", "INVALID_STAY"] as const;
const result = <V extends number>(version: V) => ({ ...envelope(version), type: z.literal("TRANSACTION_RESULT") });

export const previousRelease = {
  roomReserve: z.discriminatedUnion("version", [
    z.strictObject({ ...envelope(1), ...reserve }),
    z.strictObject({ ...envelope(2), ...reserve, expectedTotal: money }),
  ]),
  roomCancel: z.strictObject({
    ...envelope(1),
    type: z.literal("ROOM_CANCEL"),
    roomId: uuid,
    checkIn: isoDate,
    checkOut: isoDate,
  }),
  transactionResult: z.union([
    z.strictObject({ ...result(1), status: z.literal("SUCCESS") }),
    z.strictObject({ ...result(1), status: z.literal("FAILURE"), reason: z.enum(REASONS_V1) }),
    z.strictObject({ ...result(1), status: z.literal("CANCEL") }),
    z.strictObject({ ...result(2), status: z.literal("SUCCESS"), price: heldPrice.optional() }),
    z.strictObject({ ...result(2), status: z.literal("FAILURE"), reason: z.enum([...REASONS_V1, "PRICE_CHANGED"]) }),
    z.strictObject({ ...result(2), status: z.literal("CANCEL") }),
  ]),
};

/** The commit test/fixtures/previous-release.tar.gz was made from (`git archive <it> services packages prisma`). */
export const PREVIOUS_RELEASE = "ea6ff41";
const FIXTURE = path.join(ROOT, "test", "fixtures", "previous-release.tar.gz");

/**
 * The previous release's services, ready to run beside this build's: its sources unpacked once
 * into .data/, its workspace links copied from this checkout's (relative, so they lead to its own
 * packages), third-party modules shared with this checkout, and its Prisma clients generated from
 * its own schemas. Start one with `system.start(name, env, build)`.
 */
export async function previousBuild(): Promise<{ root: string }> {
  const digest = createHash("sha256").update(readFileSync(FIXTURE)).digest("hex").slice(0, 12);
  const root = path.join(ROOT, ".data", `previous-release-${digest}`);
  const done = path.join(root, ".ready");
  if (existsSync(done)) return { root };
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  await run("tar", ["-xzf", FIXTURE, "-C", root]);
  symlinkSync(path.join(ROOT, "node_modules"), path.join(root, "node_modules"));
  for (const dir of ["packages", "services"])
    for (const name of readdirSync(path.join(root, dir))) {
      const modules = path.join(ROOT, dir, name, "node_modules");
      if (existsSync(modules))
        cpSync(modules, path.join(root, dir, name, "node_modules"), { recursive: true, verbatimSymlinks: true });
    }
  const prisma = createRequire(import.meta.url).resolve("prisma/build/index.js");
  for (const schema of readdirSync(path.join(root, "prisma")))
    await run(process.execPath, [prisma, "generate", "--schema", path.join("prisma", schema, "schema.prisma")], root);
  writeFileSync(done, PREVIOUS_RELEASE);
  return { root };
}

async function run(command: string, args: string[], cwd = ROOT): Promise<void> {
  // The CLI wants a schema engine binary even to generate; an existing file stands in for it (scripts/prisma.mjs).
  const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, CHECKPOINT_DISABLE: "1" };
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.trim()}`);
}
