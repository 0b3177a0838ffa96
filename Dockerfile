# docsync image: the worker (default command) and the CLI (`docker-compose exec worker-activities
# node bin/docsync.mjs status`), as compiled JavaScript with production dependencies only.
#   build stage:   npm ci (all dependencies) + npm run build -> dist/ with the prebuilt workflow bundle
#   runtime stage: npm ci --omit=dev + scripts/prune-runtime.sh + dist/ + bin/, as the non-root `node` user
# test/deploy/build.test.ts runs the same commands without Docker (this machine has no Docker engine).
# Node 26 "Lithium" is the Active LTS line since 2026-10-28 (20 is end of life, 24 in maintenance).
# The tag is exact on purpose: bump NODE_IMAGE to the newest 26.x patch release when you rebuild.
ARG NODE_IMAGE=node:26.3.0-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci installs the committed lockfile as it is (it holds every platform's optional packages).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prune-runtime.sh ./scripts/
# No tsx, no TypeScript, no test tools; install scripts are not needed (the native Temporal core ships
# prebuilt in its package) and the prune drops the other platforms' copies of it.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && sh scripts/prune-runtime.sh node_modules \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data/blobs && chown node:node /data/blobs
USER node
EXPOSE 9464
# /readyz answers 200 once the worker polls and reaches Postgres and Temporal (src/workers/main.ts).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.DOCSYNC_METRICS_PORT || 9464) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/workers/main.js"]
