#!/bin/bash
# Initialises PGDATA on first start (as the postgres:15 image does), then runs the server in the foreground.
set -euo pipefail
user="${POSTGRES_USER:-postgres}"
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  pwfile=()
  if [[ -n "${POSTGRES_PASSWORD:-}" ]]; then
    printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile
    pwfile=(--pwfile=/tmp/pwfile)
  fi
  initdb --username="$user" --encoding=UTF8 --locale=C.UTF-8 "${pwfile[@]}" >/dev/null
  rm -f /tmp/pwfile
  method="${POSTGRES_HOST_AUTH_METHOD:-$([[ -n "${POSTGRES_PASSWORD:-}" ]] && echo scram-sha-256 || echo trust)}"
  {
    echo "local all all trust"
    echo "host all all 127.0.0.1/32 trust"
    echo "host all all all $method"
  } >"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  db="${POSTGRES_DB:-$user}"
  if [[ "$db" != "postgres" ]]; then
    postgres --single -D "$PGDATA" postgres <<<"CREATE DATABASE \"$db\"" >/dev/null
  fi
fi
if [[ "${1:-}" == "postgres" ]]; then shift; exec postgres -D "$PGDATA" "$@"; fi
exec "$@"
