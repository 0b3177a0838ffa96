# docsync worker image (also carries the CLI: `docker-compose exec worker node bin/docsync.mjs status`).
# Node 24 is the active LTS line (Node 20 reached end of life in April 2026).
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# All dependencies: tsx (a dev dependency) runs the TypeScript sources, there is no build step.
# npm ci installs the committed lockfile as it is (it holds every platform's optional packages).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY scripts ./scripts
RUN mkdir -p /data/blobs && chown node:node /data/blobs
ENV NODE_ENV=production
USER node
EXPOSE 9464
CMD ["node", "--import", "tsx", "src/workers/main.ts"]
