# pve-chatops: the Slack bot, its job runner and the health/metrics endpoint in one process.
#
#   docker build -t pve-chatops .
#   docker run -d --name pve-chatops \
#     -v pve-chatops-data:/data \
#     -v "$PWD/config:/config:ro" -v "$PWD/secrets:/secrets:ro" \
#     -p 8080:8080 pve-chatops
#
# /config holds pve-chatops.yaml and profiles/ (read-only); secrets are files referenced by the config's *File keys
# (slack.botTokenFile: /secrets/slack_bot, tokenSecretFile, privateKeyFile …), mounted read-only under /secrets;
# the SQLite store lives on the /data volume (store.url: "sqlite:/data/pve-chatops.db").
# Socket Mode needs no inbound port; HTTP mode listens on PORT (3000). Health and metrics: HEALTH_PORT (8080).

# ---- build: dev dependencies, the TypeScript build, the native better-sqlite3 module --------------------------
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are here; the one native module is built next.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
COPY bench ./bench
RUN npm run build \
 && npm prune --omit=dev

# ---- runtime: production dependencies only, non-root ----------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HEALTH_PORT=8080 \
    HEALTH_HOST=0.0.0.0 \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY package.json manifest.yml ./
COPY examples ./examples
RUN mkdir -p /data /config /secrets && chown node:node /data
VOLUME ["/data"]
# The image's own unprivileged user (uid 1000); the code stays root-owned and read-only for it.
USER node
EXPOSE 3000 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HEALTH_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/cli.js", "serve", "--config", "/config/pve-chatops.yaml"]
