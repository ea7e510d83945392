// Dead letters of the local stack, for operators (no kcat needed):
//   pnpm --silent dlq list [--topic T] [--since ISO] [--json]   dead letters, then what the outboxes set aside
//   pnpm --silent dlq show <id>                                 one dead letter, whole (`<partition>:<offset>`)
//   pnpm --silent dlq replay <id>... | --topic T [--since ISO]  send them again to their source topics
// It reads the dead-letter topic as the operators' principal; a replay goes through the outbox of the
// service that owns the source topic (as that service's database role), so no principal writes a
// topic it does not own. Before any work it checks that the broker and the databases answer: one
// that does not is one line saying which, and what to run.
import { failInOneLine, reachDatabases, reachKafka } from "@saga/ops/cli";
import { serviceDatabases } from "@saga/ops/databases";
import { readDeadLetters, refusedMessages, replay, type Selection, select } from "@saga/ops/dead-letters";
import { localAuthSecret, quietKafka, stackConfig, storedKafkaLogin } from "@saga/ops/local";
import { serviceConfigs } from "@saga/ops/services";
import { z } from "zod";

const options = z.object({
  topic: z.string().min(1).optional(),
  since: z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s))
    .optional(),
  json: z.boolean().default(false),
});

function parseArgs(argv: string[]) {
  const ids: string[] = [];
  const named: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--json") named.json = true;
    else if (arg.startsWith("--")) named[arg.slice(2)] = argv[++i] ?? "";
    else ids.push(arg);
  }
  const parsed = options.safeParse(named);
  if (!parsed.success) fail(parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; "));
  return { ids, ...parsed.data };
}

function fail(message: string): never {
  console.error(`dlq: ${message}`);
  process.exit(2);
}

failInOneLine("dlq");
const [command, ...rest] = process.argv.slice(2);
const args = parseArgs(rest);
// The stack's own view of the topics (their prefix, the dead-letter topic), as the services load it.
const config = serviceConfigs({ ...process.env, AUTH_JWT_SECRET: localAuthSecret() })[0] ?? fail("no service");
const { brokers } = stackConfig();
const databases = serviceDatabases();
const urlOf = (service: string, role: "appUrl" | "operatorUrl") =>
  databases.find((db) => db.service === service)?.[role] ?? fail(`no database for ${service}`);
const operator = () => storedKafkaLogin("operator");
const letters = () =>
  readDeadLetters(quietKafka(operator().sasl, brokers, "dlq"), config.topics.deadLetter, config.kafka.topicPrefix);
/** Before any work: the broker lets the operators in and, when the command uses them, the databases answer as `role`. */
async function reach(role?: "appUrl" | "operatorUrl") {
  await reachKafka(brokers, operator());
  if (role) await reachDatabases(databases.map((db) => ({ url: db[role], setting: db.envVar })));
}
const selection: Selection = {
  ids: args.ids.length > 0 ? args.ids : undefined,
  sourceTopic: args.topic,
  since: args.since,
};

if (command === "list") {
  await reach("operatorUrl");
  const found = select(await letters(), selection);
  const refused = await refusedMessages((service) => urlOf(service, "operatorUrl"));
  if (args.json) {
    console.log(JSON.stringify({ deadLetters: found, refused }, null, 2));
  } else {
    console.log(`${found.length} dead letter(s) on ${config.topics.deadLetter}`);
    for (const { id, record: r } of found) {
      console.log(
        `${id}\t${r.failedAt}\t${r.sourceTopic}\tkey ${r.key}\treplays ${r.replays}\t${r.reason.slice(0, 120)}`,
      );
    }
    console.log(`${refused.length} message(s) set aside by the outboxes (refused by the broker)`);
    for (const r of refused)
      console.log(`${r.service} ${r.id}\t${r.refusedAt.toISOString()}\t${r.topic}\tkey ${r.key}\t${r.reason}`);
  }
} else if (command === "show") {
  if (args.ids.length !== 1) fail("show takes one id (`<partition>:<offset>`, as `dlq list` prints it)");
  await reach();
  const [letter] = select(await letters(), selection);
  if (!letter) fail(`no dead letter ${args.ids[0]} on ${config.topics.deadLetter}`);
  console.log(JSON.stringify(letter, null, 2));
} else if (command === "replay") {
  if (args.ids.length === 0 && !args.topic) fail("replay takes ids, or --topic (and --since)");
  await reach("appUrl");
  const chosen = select(await letters(), selection);
  if (chosen.length === 0) fail("nothing to replay: no dead letter matches");
  const results = await replay(chosen, config.topics, (service) => urlOf(service, "appUrl"));
  for (const r of results)
    console.log(r.ok ? `${r.id}\treplayed through the ${r.service} outbox` : `${r.id}\tnot replayed: ${r.why}`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
} else {
  fail(
    "usage: pnpm --silent dlq list [--topic T] [--since ISO] [--json] | show <id> | replay <id>... | replay --topic T [--since ISO]",
  );
}
