// Prints tokens the local stack accepts, one per line:
//   pnpm --silent token guest <id>... [--ttl <seconds>]   a guest token for each id
//   pnpm --silent token staff <id> [--ttl <seconds>]      a staff token
// Signed with the local stack's secret (.data/auth/jwt-secret, or AUTH_JWT_SECRET), for the
// issuer and audience the services check (AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE). One hour by default.

import { guestId } from "@saga/contracts";
import { failInOneLine } from "@saga/ops/cli";
import { localAuthSecret } from "@saga/ops/local";
import { tokenSigner } from "@saga/ops/tokens";
import { loadAuthConfig } from "@saga/platform/config";
import { z } from "zod";

const args = z.object({
  role: z.enum(["guest", "staff"]),
  ids: z.array(guestId).min(1),
  ttl: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(3_600),
});

function usage(problem: string): never {
  process.stderr.write(`token: ${problem}\nusage: pnpm --silent token guest|staff <id>... [--ttl <seconds>]\n`);
  process.exit(2);
}

failInOneLine("token");
const [role, ...rest] = process.argv.slice(2);
const ttlAt = rest.indexOf("--ttl");
const ttl = ttlAt >= 0 ? rest[ttlAt + 1] : undefined;
const ids = ttlAt >= 0 ? rest.filter((_, i) => i !== ttlAt && i !== ttlAt + 1) : rest;
const parsed = args.safeParse({ role, ids, ttl });
if (!parsed.success)
  usage(parsed.error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`).join("; "));

const secret = localAuthSecret();
const { issuer, audience } = loadAuthConfig({ ...process.env, AUTH_JWT_SECRET: secret });
const sign = tokenSigner({ secret, issuer, audience });
for (const id of parsed.data.ids) process.stdout.write(`${sign[parsed.data.role](id, parsed.data.ttl)}\n`);
