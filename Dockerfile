# One image for both services and the migrate command (docker compose picks the command).
FROM node:20-bookworm-slim
WORKDIR /app
RUN npm install --global pnpm@10.34.9
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json tsconfig.json ./
COPY services/contracts/package.json services/contracts/
COPY services/platform/package.json services/platform/
COPY services/reservation/package.json services/reservation/
COPY services/room/package.json services/room/
COPY test/package.json test/
COPY prisma prisma
COPY scripts scripts
RUN pnpm install --frozen-lockfile
COPY . .
RUN node scripts/prisma.mjs generate
USER node
