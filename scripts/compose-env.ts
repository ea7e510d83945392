// `pnpm compose:env`: writes .env for docker compose (read from the project's folder by v1 and v2
// alike): the token secret, the Kafka principals' passwords and the PostgreSQL roles' passwords,
// the local stack's own (made under .data/ when missing), so that `pnpm token` and the operators'
// client files in .data/kafka/ work against the compose system too; and a password for the compose
// PostgreSQL's superuser (kept in .data/compose/). Readable by its owner only, never committed;
// names, not values, are printed.
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureCredentials } from "@saga/platform";
import { localAuthSecret } from "./auth-secret.js";
import { databaseRoles, kafkaCredentials } from "./local-access.js";
import { ROOT } from "./root.js";

const kafka = kafkaCredentials();
// The compose file's databases (docker-compose.yml's RESERVATION_DATABASE_URL and ROOM_DATABASE_URL).
const reservation = databaseRoles("hotel_reservation");
const room = databaseRoles("hotel_room");
const roles = [reservation.owner, reservation.app, room.owner, room.app, reservation.operator];
const superuser = ensureCredentials(path.join(ROOT, ".data", "compose", "credentials"), ["postgres"]).postgres;
const values = {
  AUTH_JWT_SECRET: localAuthSecret(),
  KAFKA_ADMIN_PASSWORD: kafka.admin,
  KAFKA_OPERATOR_PASSWORD: kafka.operator,
  KAFKA_RESERVATION_PASSWORD: kafka.reservation,
  KAFKA_ROOM_PASSWORD: kafka.room,
  POSTGRES_PASSWORD: superuser,
  RESERVATION_DATABASE_PASSWORD: reservation.app.password,
  ROOM_DATABASE_PASSWORD: room.app.password,
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
