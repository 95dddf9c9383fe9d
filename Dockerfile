# The operator image: `dockyard operator`, the registry Pod's `dockyard auth-server`, the node
# proxy, and later `dockyard retention run` for the retention CronJobs. Build: make image.
# Without Docker, `make images` assembles the same image (Node 24 and the libraries it links,
# /app/package.json, /app/dist/dockyard, user 65532, this entrypoint and command) as an OCI
# archive: test/cluster/images/local-images.ts. Keep the two in step.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json && npm run build

# The bundle carries every dependency it calls: no node_modules in the image.
FROM node:24-bookworm-slim
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/dist/dockyard ./dist/dockyard
# V8 sizes its heap from the container's memory limit but leaves no room beside it: under a
# 256Mi limit it allows a 259 MiB heap, so the kernel kills the process before V8 collects.
# Three quarters of the limit for the heap leaves the rest to code and buffers.
ENV NODE_OPTIONS=--max-old-space-size-percentage=75
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/dockyard/main.js"]
CMD ["operator"]
