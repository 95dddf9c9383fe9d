# Dockyard's build. `make test` is all CI runs; it installs what it needs (Node 24, npm packages,
# Debian packages, the control plane's Go binaries) and is cheap to repeat.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Node 24 first on PATH: installed from the npm registry into a cache where the machine lacks it.
NODE_BIN := $(shell test/tools/ensure-node.sh)
ifeq ($(NODE_BIN),)
$(error could not provide Node.js 24; see test/tools/ensure-node.sh)
endif
export PATH := $(NODE_BIN):$(PATH)
export npm_config_fund := false
export npm_config_audit := false
export npm_config_update_notifier := false

DEBIAN_PACKAGES := openssl docker-registry
CLUSTER_CLI := node test/cluster/cli.ts
DOCKYARD := node dist/dockyard/main.js

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

.PHONY: deps
deps: node_modules/.package-lock.json ## Install npm dependencies (npm ci).

.PHONY: tools
tools: ## Install the Debian packages the tests need (openssl, docker-registry; containerd & co. for the real node where possible).
	test/tools/ensure-debian-packages.sh $(DEBIAN_PACKAGES)
	test/tools/ensure-real-node-packages.sh

.PHONY: binaries
binaries: ## Build the control plane's and the real node's binaries, registry, versitygw (S3), helm and the OCI conformance suite (cached).
	@bash test/cluster/build-binaries.sh >/dev/null

# The operator ships as an esbuild bundle (`npm run build`, also in the Dockerfile), not as tsc
# output plus node_modules: loading client-node's 2,700 files one by one kept ~25 MiB of their
# source in the heap and cost ~55 MiB more RSS than the bundle, which leaves out what nothing
# calls. Each command is a chunk of its own, so the node proxy and the auth server load none of
# the operator's code. Whitespace and comments go (a single non-Latin-1 character in a comment
# made V8 hold a whole 3 MB chunk as UTF-16, 6 MiB); names stay, so stack traces name functions,
# and dist/dockyard/*.map maps positions back (node --enable-source-maps). The banner gives
# bundled CommonJS packages the `require` they call for Node's built-in modules.
.PHONY: build
build: deps ## Bundle the operator into dist/dockyard/ (what the image runs; then: node dist/dockyard/main.js ...).
	npm run --silent build

.PHONY: crds
crds: deps ## Generate crds/ (and the chart's copy) from the zod schemas in src/api/v1alpha1; commit the result.
	node src/main.ts crds --output-dir crds
	node src/main.ts crds --output-dir charts/dockyard/crds

.PHONY: docs
docs: deps ## Regenerate the generated parts of docs/ (the troubleshooting table of condition reasons).
	node test/tools/generate-docs.ts

.PHONY: typecheck
typecheck: deps ## Type-check sources, tests and benchmarks.
	npx tsc -p tsconfig.json

.PHONY: lint
lint: deps ## Import rules between src/ folders (.dependency-cruiser.cjs), then Biome's linter and format check.
	npx depcruise src test bench --config .dependency-cruiser.cjs --output-type err
	npx biome check --error-on-warnings .

.PHONY: format
format: deps ## Format every file and apply Biome's safe fixes.
	npx biome check --write .

.PHONY: test-unit
test-unit: deps ## Fast tests of pure logic.
	npx vitest run --project unit

.PHONY: test-integration
test-integration: deps tools build ## Tests against a real local control plane and registry (the operator as bundled).
	DOCKYARD_BIN_DIR=$$(bash test/cluster/build-binaries.sh) npx vitest run --project integration

# The real node's tests: its lifecycle (a Pod runs; SIGKILL of the launcher leaves the host clean),
# then the e2e group against a cluster whose Pods really run. Each project starts its own real
# node, and a machine has one at a time, so they run one after the other. Where the machine cannot
# run a real node, every test is skipped with the reason.
.PHONY: test-e2e
test-e2e: deps tools build ## Tests on the real node: its lifecycle, then Dockyard installed with Helm from the local image.
	DOCKYARD_BIN_DIR=$$(bash test/cluster/build-binaries.sh) npx vitest run --project real-node
	DOCKYARD_BIN_DIR=$$(bash test/cluster/build-binaries.sh) npx vitest run --project e2e

.PHONY: test
test: ## Everything CI runs: install, type-check, lint, unit and integration tests.
	@started=$$(date +%s); \
	$(MAKE) --no-print-directory deps tools binaries typecheck lint test-unit test-integration test-e2e; \
	echo "full test run took $$(( $$(date +%s) - started ))s"

.PHONY: cluster-up
cluster-up: deps binaries ## Start the local control plane in the background; prints the KUBECONFIG to export.
	@$(CLUSTER_CLI) up

.PHONY: cluster-down
cluster-down: ## Stop the local control plane.
	@$(CLUSTER_CLI) down

.PHONY: images
images: build binaries ## Assemble the local OCI images (registry, Dockyard, pause, busybox) without Docker; import them into the running real node.
	@node test/cluster/images/cli.ts --out .cache/images

# With a real node (root, the Debian packages installable: `make tools`), the cluster's Pods run
# for real, from the local images (`dockyard:dev`, `registry:3.0.0`), so the Registries you apply
# serve. Otherwise `cluster-up` says why it fell back to kwok Nodes, where Pods only pretend.
# The operator image the local cluster's real node has imported (make images; the chart's default).
LOCAL_IMAGE := docker.io/library/dockyard:dev
.PHONY: dev
dev: build binaries ## Run the operator against the local control plane (or $KUBECONFIG when set).
	@image_flag=""; \
	if [[ -z "$${KUBECONFIG:-}" ]]; then \
	  test/tools/ensure-real-node-packages.sh; eval "$$($(CLUSTER_CLI) up)"; \
	  image_flag="--image $(LOCAL_IMAGE)"; \
	fi; \
	if compgen -G 'crds/*.yaml' >/dev/null; then kubectl apply --server-side -f crds/ >/dev/null; fi; \
	echo "cluster: KUBECONFIG=$$KUBECONFIG"; \
	echo "  in another shell:  export KUBECONFIG=$$KUBECONFIG; kubectl get nodes; kubectl apply -f manifests/samples/"; \
	echo "  stop the cluster:  make cluster-down"; \
	exec $(DOCKYARD) operator --health-addr 127.0.0.1:8081 $$image_flag

.PHONY: bench
bench: build binaries ## Run the benchmarks under bench/ and print their figures.
	@if compgen -G 'bench/*.ts' >/dev/null; then for b in bench/*.ts; do echo "== $$b"; DOCKYARD_BIN_DIR=$$(bash test/cluster/build-binaries.sh) node $$b; done; else echo "no benchmarks yet"; fi

# Users with Docker: a kind cluster, the operator image loaded into it, the integration suite
# against it. It cannot run where there is no Docker engine.
KIND_CLUSTER ?= dockyard-e2e
IMAGE ?= dockyard:dev
.PHONY: image
image: ## Build the operator image (needs Docker).
	docker build -t $(IMAGE) .

.PHONY: e2e-kind
e2e-kind: deps image ## Create a kind cluster, load the image, deploy, run the integration suite (needs Docker and kind).
	kind get clusters | grep -qx $(KIND_CLUSTER) || kind create cluster --name $(KIND_CLUSTER) --wait 120s
	kind load docker-image $(IMAGE) --name $(KIND_CLUSTER)
	mkdir -p .cache && kind get kubeconfig --name $(KIND_CLUSTER) > .cache/kind-$(KIND_CLUSTER).kubeconfig
	KUBECONFIG=.cache/kind-$(KIND_CLUSTER).kubeconfig kubectl apply -k manifests/
	DOCKYARD_TEST_KUBECONFIG=$$PWD/.cache/kind-$(KIND_CLUSTER).kubeconfig npx vitest run --project integration

.PHONY: clean
clean: ## Remove build output (the binary cache outside the clone stays).
	rm -rf dist .cache
