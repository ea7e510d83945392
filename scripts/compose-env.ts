// `pnpm compose:env`: writes .env for docker compose (read from the project's folder by v1 and v2
// alike): the token secret, the Kafka principals' passwords and the PostgreSQL roles' passwords,
// the local stack's own (made under .data/ when missing), so that `pnpm token` and the operators'
// client files in .data/kafka/ work against the compose system too; and a password for the compose
// PostgreSQL's superuser (kept in .data/compose/). Readable by its owner only, never committed;
// names, not values, are printed.
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { databaseName } from "@saga/ops/databases";
import { databaseRoles, ensureCredentials, kafkaCredentials, localAuthSecret, ROOT } from "@saga/ops/local";
import { SERVICES, settingsOf } from "@saga/ops/services";

const kafka = kafkaCredentials();
// The compose file's databases: each service's default (hotel_<service>), as docker-compose.yml names them.
const services = SERVICES.map((name) => ({
  name,
  roles: databaseRoles(databaseName(settingsOf(name).databaseUrl({}))),
}));
const roles = [
  ...services.flatMap((s) => [s.roles.owner, s.roles.app]),
  ...services.slice(0, 1).map((s) => s.roles.operator),
];
const { postgres: superuser = "" } = ensureCredentials(path.join(ROOT, ".data", "compose", "credentials"), [
  "postgres",
]);
const values: Record<string, string> = {
  AUTH_JWT_SECRET: localAuthSecret(),
  KAFKA_ADMIN_PASSWORD: kafka.admin,
  KAFKA_OPERATOR_PASSWORD: kafka.operator,
  ...Object.fromEntries(services.map((s) => [`KAFKA_${s.name.toUpperCase()}_PASSWORD`, kafka[s.name] ?? ""])),
  POSTGRES_PASSWORD: superuser,
  ...Object.fromEntries(services.map((s) => [`${s.name.toUpperCase()}_DATABASE_PASSWORD`, s.roles.app.password])),
  // The reconciler's: the operators' role, which reads every table and changes none.
  OPERATOR_DATABASE_PASSWORD: services[0]?.roles.operator.password ?? "",
  // Every role's, for the migrate step that creates them.
  DATABASE_ROLE_PASSWORDS: roles.map((role) => `${role.name}=${role.password}`).join(","),
};
const file = path.join(ROOT, ".env");
const lines = Object.entries(values).map(([name, value]) => `${name}=${value}\n`);
writeFileSync(file, `# written by \`pnpm compose:env\` for docker compose; keep it private\n${lines.join("")}`, {
  mode: 0o600,
});
chmodSync(file, 0o600); // mode applies to a new file only
console.log(`compose:env: wrote ${Object.keys(values).join(", ")} to ${path.relative(process.cwd(), file) || file}`);
