#!/usr/bin/env bash
# Brings the system up with docker compose (v1 `docker-compose` or v2 `docker compose`), runs every
# example of the README against it unchanged (the API, the operators' Kafka tools logged in as
# `operator`, the metrics), checks that each service holds only its own logins, and takes it down
# with its volumes, checking that nothing of it is left. Used by CI with the images
# `pnpm images:build` made (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
project=hotel-saga-check
dc() { "${compose[@]}" -p "$project" "$@"; }

# .env: the token secret and the Kafka principals' passwords, the local stack's (as a user does).
pnpm --silent compose:env
# The build stage trusts what this machine adds to the system's CAs, as `pnpm images:build` does.
EXTRA_CA_CERTS="$(infra/images/extra-ca-certs.sh)"
export EXTRA_CA_CERTS
trap 'dc down -v --remove-orphans >/dev/null 2>&1 || true' EXIT

start=$SECONDS
if ! dc up -d --build --quiet-pull >/tmp/compose-check-up.log 2>&1; then
  tail -20 /tmp/compose-check-up.log; dc logs --tail 40 migrate; echo "compose-check: up failed"; exit 1
fi
for service in reservation room payment reconciler; do
  for _ in $(seq 90); do
    state=$(docker inspect --format '{{.State.Health.Status}}' "$(dc ps -q "$service")" 2>/dev/null || echo starting)
    [ "$state" = healthy ] && break
    sleep 1
  done
  [ "$state" = healthy ] || { dc ps; dc logs --tail 50 "$service"; echo "compose-check: $service is $state"; exit 1; }
done
echo "compose-check: up and healthy in $((SECONDS - start)) s"
dc ps
bash scripts/readme-examples.sh

# Least privilege: each service holds its own Kafka login and database role and no one else's, and
# is connected as that role; the operator may read but not write.
admin_password=$(sed -n 's/^KAFKA_ADMIN_PASSWORD=//p' .env)
superuser_password=$(sed -n 's/^POSTGRES_PASSWORD=//p' .env)
for service in reservation room payment; do
  env=$(docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$(dc ps -q "$service")")
  grep -qx "KAFKA_SASL_USERNAME=$service" <<<"$env" || { echo "compose-check: $service does not log in as $service"; exit 1; }
  if grep -qF -e "$admin_password" -e "$superuser_password" -e DATABASE_ROLE_PASSWORDS <<<"$env"; then
    echo "compose-check: $service holds another principal's password"; exit 1
  fi
done
roles=$(dc exec -T postgres psql -U postgres -Atc \
  "SELECT string_agg(DISTINCT usename, ',' ORDER BY usename) FROM pg_stat_activity WHERE datname LIKE 'hotel_%'")
[ "$roles" = "hotel_operator,hotel_payment_app,hotel_reservation_app,hotel_room_app" ] || { echo "compose-check: connected as $roles"; exit 1; }
# The reconciler counts a discrepancy once two passes running find it: wait for a pass that finds none.
for _ in $(seq 30); do
  metrics=$(curl -sf 127.0.0.1:3009/metrics || true)
  if grep -q '^saga_invariant_discrepancies{kind="night"} 0$' <<<"$metrics" &&
    ! grep -Eq '^saga_invariant_discrepancies\{[^}]*\} [1-9]' <<<"$metrics"; then break; fi
  sleep 1
done
grep -q '^saga_invariant_discrepancies{kind="night"} 0$' <<<"$metrics" &&
  ! grep -Eq '^saga_invariant_discrepancies\{[^}]*\} [1-9]' <<<"$metrics" || {
  dc logs --tail 30 reconciler; grep -E '^(saga_invariant|reconciler_)' <<<"$metrics" || true
  curl -s 127.0.0.1:3009/discrepancies || true
  echo "compose-check: the reconciler does not report the invariant as holding"; exit 1
}
echo refused | kcat -F .data/kafka/operator.kcat.conf -b 127.0.0.1:9092 -P -t room-reserve -X message.timeout.ms=5000 \
  2>/tmp/compose-check-kcat.log || true
grep -qi "topic authorization failed" /tmp/compose-check-kcat.log ||
  { cat /tmp/compose-check-kcat.log; echo "compose-check: the broker did not refuse the operator's write"; exit 1; }
echo "compose-check: each service logs in as its own principal and role, the reconciler as the operators'; the operator cannot write"

dc down -v --remove-orphans
left=$(docker ps -aq --filter "label=com.docker.compose.project=$project"; docker volume ls -q --filter "label=com.docker.compose.project=$project")
[ -z "$left" ] || { echo "compose-check: left behind: $left"; exit 1; }
trap - EXIT
echo "compose-check: down -v left no container or volume"
