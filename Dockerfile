# The operator image: `dockyard operator`, and later `dockyard retention run` for the
# retention CronJobs. Build: make image.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json --rootDir . --outDir dist && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/src/main.js"]
CMD ["operator"]
