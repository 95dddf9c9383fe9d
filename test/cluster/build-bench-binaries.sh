#!/usr/bin/env bash
# Builds the peers the retention benchmark races (bench/retention.ts): regclient's regbot and
# go-containerregistry's crane, from their Go modules pinned by the wrapper modules under
# test/cluster/go/. Only `make bench` needs them, so `make test` never builds them. Same cache
# and lock as build-binaries.sh: each lands in $DOCKYARD_CACHE/bin/<tool>-<version>/, built once
# per machine. Prints the directory that holds both on its last line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${DOCKYARD_CACHE:-$HOME/.cache/dockyard}
bin_root="$cache/bin"
link_dir="$bin_root/bench"
mkdir -p "$bin_root" "$link_dir"
locked=false

module_version() { # <wrapper dir> <module path>: the version the wrapper requires
  awk -v m="$2" '$1 == "require" && $2 == m { print $3 } $1 == m && $2 ~ /^v/ { print $2 }' "$1/go.mod" | head -n 1
}

# build <tool> <wrapper> <package> <version> [ldflags]
build() {
  local tool=$1 wrapper=$here/go/$2 pkg=$3 version=$4 ldflags=${5:-}
  local out_dir="$bin_root/$tool-$version"
  if [[ ! -x "$out_dir/$tool" ]] && ! $locked; then
    # The lock build-binaries.sh takes (two builds writing one <tool>-<version>.tmp would collide),
    # only when there is something to build: a cached peer need not wait for another tool's build.
    exec 9>"$bin_root/.build.lock"
    flock 9
    locked=true
  fi
  if [[ ! -x "$out_dir/$tool" ]]; then
    local started=$(date +%s)
    echo "building $tool $version (first time on this machine)" >&2
    mkdir -p "$out_dir.tmp"
    (cd "$wrapper" && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "-s -w $ldflags" -o "$out_dir.tmp/$tool" "$pkg")
    rm -rf "$out_dir" && mv "$out_dir.tmp" "$out_dir"
    echo "built $tool $version in $(( $(date +%s) - started ))s (cold)" >&2
  fi
  ln -sfn "$out_dir/$tool" "$link_dir/$tool"
}

regclient_version=$(module_version "$here/go/regclient" github.com/regclient/regclient)
build regbot regclient github.com/regclient/regclient/cmd/regbot "$regclient_version"

crane_version=$(module_version "$here/go/crane" github.com/google/go-containerregistry)
build crane crane github.com/google/go-containerregistry/cmd/crane "$crane_version"

echo "$link_dir"
