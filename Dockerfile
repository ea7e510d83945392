# The services' image: every service and the commands the image runs (scripts/image: migrate,
# provision, healthcheck), compiled to JavaScript (tsc) and run by Node 24 LTS as a non-root user.
# SERVICE (a folder under services/) picks the service and its health check; docker compose sets
# it, or runs the migrate and provision commands instead.
#   docker build -t hotel-saga/services .                             (from node:24-bookworm-slim)
#   docker build --build-arg NODE_IMAGE=hotel-saga/node:24 -t ... .   (built here: pnpm images:build)
ARG NODE_IMAGE=node:24-bookworm-slim

# The workspace's manifests alone: the dependency layer below is rebuilt only when one of them (or
# the lockfile) changes, whatever else changed, and a new package or service needs no line here.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name package.json -not -path "*/node_modules/*" -exec cp --parents {} /manifests \; \
 && cp -r pnpm-lock.yaml pnpm-workspace.yaml .npmrc patches /manifests/

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# CAs the build must trust to reach the npm registry (a proxy's, say); the final image has none of them.
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" >/usr/local/share/build-extra-ca.pem; fi
ENV NODE_EXTRA_CA_CERTS=${EXTRA_CA_CERTS:+/usr/local/share/build-extra-ca.pem}
RUN npm install --global --no-fund --no-audit --loglevel=error pnpm@10.34.9
# Dependencies first: this layer is reused until the lockfile or a package.json changes.
COPY --from=manifests /manifests ./
RUN pnpm install --frozen-lockfile --ignore-scripts
COPY . .
RUN node scripts/prisma.mjs generate >/dev/null && pnpm exec tsc -p tsconfig.build.json
# Only what runs: the production dependencies of the packages and services, less what pnpm adds that
# they never load (@prisma/client's optional peers, test/'s dependencies, other databases' query
# compilers).
RUN rm -rf node_modules packages/*/node_modules services/*/node_modules test/node_modules \
 && CI=true pnpm install --frozen-lockfile --ignore-scripts --prod --offline >/dev/null \
 && node infra/images/prune-tree.mjs . . packages/* services/*
RUN mkdir -p /out/scripts && cp -r dist/scripts/. /out/scripts/ \
 && for project in packages/* services/*; do \
      mkdir -p "/out/$project" && cp "$project/package.json" "/out/$project/" \
      && cp -r "dist/$project/src" "/out/$project/dist" \
      && if [ -d "$project/node_modules" ]; then cp -r "$project/node_modules" "/out/$project/"; fi; \
    done \
 && cp -r node_modules package.json prisma /out/

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production NODE_OPTIONS=--conditions=production
COPY --from=build /out /app
# The one folder the image's user may write: the migrate command keeps the database roles' passwords there.
RUN mkdir -p /app/.data && chown 10001:10001 /app/.data
USER 10001:10001
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=6 CMD ["node", "scripts/image/healthcheck.js"]
# The service listens on every interface of its container (<SERVICE>_HOST, ROOM_HOST say).
CMD ["sh", "-c", "exec env \"$(echo \"${SERVICE:?set SERVICE to a folder of services/}\" | tr a-z A-Z)_HOST=0.0.0.0\" node \"services/$SERVICE/dist/server.js\""]
