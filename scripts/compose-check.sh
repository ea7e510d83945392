#!/usr/bin/env bash
# Brings the system up with docker compose (v1 `docker-compose` or v2 `docker compose`), runs the
# README's API examples against it unchanged, and takes it down with its volumes, checking that
# nothing of it is left. Used by CI with the images `pnpm images:build` made (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
project=hotel-saga-check
dc() { "${compose[@]}" -p "$project" "$@"; }

# One secret for the services and for `pnpm token`, which mints the examples' tokens.
AUTH_JWT_SECRET="$(head -c 32 /dev/urandom | base64 | tr -d '=+/\n')"
export AUTH_JWT_SECRET
# The build stage trusts what this machine adds to the system's CAs, as `pnpm images:build` does.
EXTRA_CA_CERTS="$(infra/images/extra-ca-certs.sh)"
export EXTRA_CA_CERTS
trap 'dc down -v --remove-orphans >/dev/null 2>&1 || true' EXIT

start=$SECONDS
if ! dc up -d --build --quiet-pull >/tmp/compose-check-up.log 2>&1; then
  tail -20 /tmp/compose-check-up.log; dc logs --tail 40 migrate; echo "compose-check: up failed"; exit 1
fi
for service in reservation room; do
  for _ in $(seq 90); do
    state=$(docker inspect --format '{{.State.Health.Status}}' "$(dc ps -q "$service")" 2>/dev/null || echo starting)
    [ "$state" = healthy ] && break
    sleep 1
  done
  [ "$state" = healthy ] || { dc ps; dc logs --tail 50 "$service"; echo "compose-check: $service is $state"; exit 1; }
done
echo "compose-check: up and healthy in $((SECONDS - start)) s"
dc ps
bash scripts/readme-examples.sh --api

dc down -v --remove-orphans
left=$(docker ps -aq --filter "label=com.docker.compose.project=$project"; docker volume ls -q --filter "label=com.docker.compose.project=$project")
[ -z "$left" ] || { echo "compose-check: left behind: $left"; exit 1; }
trap - EXIT
echo "compose-check: down -v left no container or volume"
