# The services' image: both services and the migrate command, compiled to JavaScript (tsc) and run
# by Node 24 LTS as a non-root user. SERVICE=reservation or room picks the service (and its health
# check); docker compose sets it, or runs the migrate command instead.
#   docker build -t hotel-saga/services .                             (from node:24-bookworm-slim)
#   docker build --build-arg NODE_IMAGE=hotel-saga/node:24 -t ... .   (built here: pnpm images:build)
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# CAs the build must trust to reach the npm registry (a proxy's, say); the final image has none of them.
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" >/usr/local/share/build-extra-ca.pem; fi
ENV NODE_EXTRA_CA_CERTS=${EXTRA_CA_CERTS:+/usr/local/share/build-extra-ca.pem}
RUN npm install --global --no-fund --no-audit --loglevel=error pnpm@10.34.9
# Dependencies first: this layer is reused until the lockfile or a package.json changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches patches
COPY services/contracts/package.json services/contracts/
COPY services/platform/package.json services/platform/
COPY services/reservation/package.json services/reservation/
COPY services/room/package.json services/room/
COPY test/package.json test/
RUN pnpm install --frozen-lockfile --ignore-scripts
COPY . .
RUN node scripts/prisma.mjs generate >/dev/null && pnpm exec tsc -p tsconfig.build.json
# Only what runs: the production dependencies of the services, less what pnpm adds that they never
# load (@prisma/client's optional peers, test/'s dependencies, other databases' query compilers).
RUN rm -rf node_modules services/*/node_modules test/node_modules \
 && CI=true pnpm install --frozen-lockfile --ignore-scripts --prod --offline >/dev/null \
 && node infra/images/prune-tree.mjs . . services/contracts services/platform services/reservation services/room
RUN mkdir -p /out/scripts && cp -r dist/scripts/. /out/scripts/ \
 && for pkg in contracts platform reservation room; do \
      mkdir -p "/out/services/$pkg" && cp "services/$pkg/package.json" "/out/services/$pkg/" \
      && cp -r "dist/services/$pkg/src" "/out/services/$pkg/dist" \
      && if [ -d "services/$pkg/node_modules" ]; then cp -r "services/$pkg/node_modules" "/out/services/$pkg/"; fi; \
    done \
 && cp -r node_modules package.json prisma /out/

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production NODE_OPTIONS=--conditions=production RESERVATION_HOST=0.0.0.0 ROOM_HOST=0.0.0.0
COPY --from=build /out /app
# The one folder the image's user may write: the migrate command keeps the database roles' passwords there.
RUN mkdir -p /app/.data && chown 10001:10001 /app/.data
USER 10001:10001
EXPOSE 3000 3001
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=6 CMD ["node", "scripts/healthcheck.js"]
CMD ["sh", "-c", "exec node services/${SERVICE:?set SERVICE to reservation or room}/dist/server.js"]
