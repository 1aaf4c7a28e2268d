# One image for every role; the command picks it:
#   node dist/services/gateway/main.js      gateway (HTTP + Socket.IO on WEBSSH2_LISTEN_PORT, 2222)
#   node dist/services/ssh-worker/main.js   ssh-worker (health/metrics on FLEET_METRICS_PORT, 9090)
#   node dist/services/all-in-one/main.js   both in one process, no Redis (the default)
#
#   docker build -t webssh-fleet .

# ---- build: compile TypeScript, then keep only the production dependencies
FROM node:24-bookworm-slim AS build
WORKDIR /app
# ssh2's optional native crypto binding (and cpu-features) compile here with
# node-gyp; the toolchain stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Dependencies first, so source changes do not invalidate this layer.
# package.json's allowScripts lets the native builds run.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# What `npm run build` compiles (tsconfig.build.json: shared, services, bench,
# test/harness) and the script that copies the Lua scripts into dist/.
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY shared ./shared
COPY services ./services
COPY bench ./bench
COPY test/harness ./test/harness
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -f dist/.tsbuildinfo

# ---- runtime: Node, the production node_modules and dist/, nothing else
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the process: the image works with a
# read-only root filesystem.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's unprivileged "node" user, by number so that Kubernetes'
# runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 2222 9090
CMD ["node", "dist/services/all-in-one/main.js"]
