#!/usr/bin/env bash
# Builds the local control plane's binaries (kube-apiserver, kube-controller-manager,
# kube-scheduler, etcd, kwok, registry, versitygw), the real node's (kubelet, kube-proxy, coredns),
# helm (to render the chart), promtool (to test the alerting rules) and the OCI conformance suite
# from their Go modules, pinned by the wrapper modules under test/cluster/go/. Each lands in
# $DOCKYARD_CACHE/bin/<tool>-<version>/, outside the clone, so a machine builds a version once.
# Prints the directory that holds every binary on its last line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${DOCKYARD_CACHE:-$HOME/.cache/dockyard}
bin_root="$cache/bin"
link_dir="$bin_root/current"
mkdir -p "$bin_root" "$link_dir"
# One build at a time per cache: two test runs starting together would otherwise both write the
# same <tool>-<version>.tmp directory.
exec 9>"$bin_root/.build.lock"
flock 9

module_version() { # <wrapper dir> <module path>: the version the wrapper requires
  awk -v m="$2" '$1 == "require" && $2 == m { print $3 } $1 == m && $2 ~ /^v/ { print $2 }' "$1/go.mod" | head -n 1
}

build_started=$(date +%s)
built_any=false

# build <tool> <wrapper> <package> <version> [ldflags] [build tags]
build() {
  local tool=$1 wrapper=$here/go/$2 pkg=$3 version=$4 ldflags=${5:-} tags=${6:-}
  local out_dir="$bin_root/$tool-$version"
  if [[ ! -x "$out_dir/$tool" ]]; then
    local started=$(date +%s)
    echo "building $tool $version (first time on this machine)" >&2
    mkdir -p "$out_dir.tmp"
    (cd "$wrapper" && CGO_ENABLED=0 go build -trimpath -tags "$tags" -ldflags "-s -w $ldflags" -o "$out_dir.tmp/$tool" "$pkg")
    rm -rf "$out_dir" && mv "$out_dir.tmp" "$out_dir"
    echo "built $tool $version in $(( $(date +%s) - started ))s" >&2
    built_any=true
  fi
  ln -sfn "$out_dir/$tool" "$link_dir/$tool"
}

kube_version=$(module_version "$here/go/kubernetes" k8s.io/kubernetes)
kube_minor=$(echo "$kube_version" | cut -d. -f2)
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# Stamp the version the way Kubernetes' own build does, so /version and `kubectl version` tell
# the truth instead of v0.0.0-master.
kube_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
  build "$cmd" kubernetes "k8s.io/kubernetes/cmd/$cmd" "$kube_version" "$kube_ldflags"
done

build etcd etcd go.etcd.io/etcd/server/v3 "$(module_version "$here/go/etcd" go.etcd.io/etcd/server/v3)"

kwok_version=$(module_version "$here/go/kwok" sigs.k8s.io/kwok)
build kwok kwok sigs.k8s.io/kwok/cmd/kwok "$kwok_version" \
  "-X sigs.k8s.io/kwok/pkg/consts.Version=$kwok_version"

registry_version=$(module_version "$here/go/registry" github.com/distribution/distribution/v3)
build registry registry github.com/distribution/distribution/v3/cmd/registry "$registry_version" \
  "-X github.com/distribution/distribution/v3/version.version=$registry_version"

coredns_version=$(module_version "$here/go/coredns" github.com/coredns/coredns)
build coredns coredns . "$coredns_version" "-X github.com/coredns/coredns/coremain.GitCommit=$coredns_version"

helm_version=$(module_version "$here/go/helm" helm.sh/helm/v3)
build helm helm helm.sh/helm/v3/cmd/helm "$helm_version" \
  "-X helm.sh/helm/v3/internal/version.version=$helm_version"

# versitygw: an S3 gateway over a directory (posix backend), the bucket that S3 storage tests run
# distribution against. Chosen over MinIO and SeaweedFS for its size: one small command that
# starts in well under a second.
versitygw_version=$(module_version "$here/go/versitygw" github.com/versity/versitygw)
build versitygw versitygw github.com/versity/versitygw/cmd/versitygw "$versitygw_version" \
  "-X main.Version=$versitygw_version"

# promtool checks the chart's alerting rules and runs their unit tests (test series that fire
# every alert). remove_all_sd, Prometheus' own build tag, leaves out the service-discovery
# plugins (client-go and the cloud SDKs), which rule checks and tests never use.
promtool_version=$(module_version "$here/go/promtool" github.com/prometheus/prometheus)
build promtool promtool github.com/prometheus/prometheus/cmd/promtool "$promtool_version" \
  "-X github.com/prometheus/common/version.Version=$promtool_version" remove_all_sd

# The OCI distribution-spec conformance suite, run against distribution plain and behind the auth
# server. Since its redesign it is a command (the README builds it with `go build`), not a
# `go test -c` binary; no conformance/ tag exists, so the wrapper pins a pseudo-version.
conformance_version=$(module_version "$here/go/conformance" github.com/opencontainers/distribution-spec/conformance)
build oci-conformance conformance github.com/opencontainers/distribution-spec/conformance "$conformance_version"

if $built_any; then
  echo "control-plane binaries: cold build took $(( $(date +%s) - build_started ))s" >&2
fi
echo "$link_dir"
