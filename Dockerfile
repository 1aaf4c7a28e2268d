# One image for every role; the command picks it:
#   node dist/services/gateway/main.js | dist/services/ssh-worker/main.js | dist/services/all-in-one/main.js
FROM node:24-bookworm-slim AS build
WORKDIR /app
# ssh2's native crypto binding is compiled here.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY shared ./shared
COPY services ./services
COPY bench ./bench
COPY test/harness ./test/harness
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 2222
CMD ["node", "dist/services/all-in-one/main.js"]
