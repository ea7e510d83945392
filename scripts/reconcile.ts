// The saga's invariant across the three databases, for operators:
//   pnpm --silent reconcile [--settled] [--room URL --reservation URL --payment URL]
// It reads as the operators' role (it can change nothing): every night's taken count equals the
// holds that cover it; every final booking agrees with its hold and its money (SUCCESS prepaid: its
// total charged, net; FAILURE: nothing; CANCEL: its penalty); no money is charged for a booking
// that does not exist; the ledger sums to zero, each movement too, and no deposit is below zero.
// Each discrepancy is one line naming the booking (or room, movement, deposit); it exits 1 on any,
// 2 on a usage error. With --settled a booking still waiting on the saga is a discrepancy too.
// URLs given are used as they are (with the caller's own role); by default, the stack's databases
// as the operators' role. A database that does not answer is one line naming it, before any check.
import { parseArgs } from "node:util";
import { type DatabaseAccess, failInOneLine, reachDatabases } from "@saga/ops/cli";
import { serviceDatabases } from "@saga/ops/databases";
import { checkInvariant, discrepancies, waitingOf } from "@saga/ops/invariant";
import { isConnectionError } from "@saga/platform/sql";

function usage(message: string): never {
  console.error(`reconcile: ${message}`);
  console.error("usage: pnpm --silent reconcile [--settled] [--room URL --reservation URL --payment URL]");
  process.exit(2);
}

function options() {
  try {
    return parseArgs({
      options: {
        settled: { type: "boolean", default: false },
        room: { type: "string" },
        reservation: { type: "string" },
        payment: { type: "string" },
      },
    }).values;
  } catch (err) {
    return usage((err as Error).message);
  }
}

failInOneLine("reconcile", 2);
type Urls = { room: string; reservation: string; payment: string };
const { settled, ...given } = options();
const named = Object.values(given).filter(Boolean).length;
if (named !== 0 && named !== 3)
  usage("give the URLs of all three databases (--room, --reservation, --payment), or none");
const databases: (DatabaseAccess & { service: string })[] =
  named === 3
    ? Object.entries(given as Urls).map(([service, url]) => ({ service, url, setting: `--${service}` }))
    : serviceDatabases().map((d) => ({ service: d.service, url: d.operatorUrl, setting: d.envVar }));
const urls = Object.fromEntries(databases.map((d) => [d.service, d.url])) as Urls;

await reachDatabases(databases);
try {
  const report = await checkInvariant(urls);
  const found = discrepancies(report);
  const waiting = waitingOf(report);
  if (settled && waiting > 0) found.push(`${waiting} bookings still wait on the saga`);
  const statuses = Object.entries(report.byStatus)
    .sort()
    .map(([status, n]) => `${status} ${n}`)
    .join(", ");
  for (const line of found) console.log(line);
  const summary = `${report.bookings} bookings (${statuses || "none"}), ledger sum ${report.ledger.total}`;
  if (found.length > 0) {
    console.error(`reconcile: ${found.length} discrepancies over ${summary}`);
    process.exit(1);
  }
  console.log(`reconcile: no discrepancy over ${summary}${waiting > 0 ? `; ${waiting} still under way` : ""}`);
} catch (err) {
  const reason = isConnectionError(err) ? "a database cannot be reached" : "a database refused the check";
  console.error(`reconcile: ${reason}: ${(err as Error).message}`);
  process.exit(2);
}
