# ThermoGate: one image for the site hub (broker, dashboard, OPC UA), the gate daemon (the bundle
# dist/edge.mjs) and the simulator; the compose file picks the command. Configuration and secrets
# are mounted at run time (docker-compose.yml): nothing site-specific is in the image.
#
#   docker build -t thermogate .

# --- dependencies: native modules (better-sqlite3, epoll for onoff) compile here when no prebuilt
# binary fits, so the compilers never reach the runtime image.
FROM node:20-bookworm-slim AS deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# tsx is a runtime dependency: the hub, dashboard and simulator run the TypeScript sources
# directly; esbuild (also one) builds the edge bundle in the next stage.
RUN npm ci --omit=dev --no-audit --no-fund \
  && node -e "require('better-sqlite3')(':memory:').close()" \
  && npm cache clean --force

# --- the gate daemon as it ships (deploy/build-edge.ts): dist/edge.mjs, bundled by esbuild, run by
# plain node. Gate containers and gates installed with systemd run this same file, the same way.
FROM deps AS edge-build
COPY tsconfig.json ./
COPY protocols ./protocols
COPY kernel ./kernel
COPY edge ./edge
COPY deploy/build-edge.ts ./deploy/
RUN npm run build:edge

# --- runtime
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
  PATH=/app/node_modules/.bin:$PATH
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# The edge bundle resolves its native packages (better-sqlite3, serialport) from /app/node_modules.
COPY --from=edge-build /app/dist ./dist
COPY package.json package-lock.json tsconfig.json ./
COPY protocols ./protocols
COPY kernel ./kernel
COPY hub ./hub
COPY site ./site
COPY dashboard ./dashboard
COPY firmware-sim ./firmware-sim
COPY examples ./examples
COPY deploy/docker-entrypoint.sh deploy/healthcheck.mjs ./deploy/
# State lives under /data (a volume per service); the services run as the image's unprivileged
# `node` user (uid 1000), which owns /data so a fresh named volume is writable.
RUN chmod 0755 deploy/docker-entrypoint.sh \
  && mkdir -p /data \
  && chown node:node /data
USER node
VOLUME ["/data"]
ENTRYPOINT ["/app/deploy/docker-entrypoint.sh"]
CMD ["tsx", "site/cli.ts", "--config", "/config/hub.yaml"]
