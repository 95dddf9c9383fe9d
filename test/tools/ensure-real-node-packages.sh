#!/usr/bin/env bash
# Installs the Debian packages the local control plane's real node needs, where the machine can
# have them: root (or sudo) and apt-get. Never fails the build: without them the control plane
# runs kwok Nodes only, and says why (test/cluster/real-node/host-support.ts). DOCKYARD_REAL_NODE=0
# skips this.
#   containerd, runc                the container runtime the kubelet drives (CRI)
#   containernetworking-plugins     bridge, host-local, portmap, loopback
#   iptables                        kube-proxy's Service rules, the CNI plugins' masquerading
#   busybox-static                  a static binary for the sandbox ("pause") and test images
#   skopeo                          push images to a Registry without Docker (README, e2e tests)
set -uo pipefail
packages=(containerd runc containernetworking-plugins iptables busybox-static skopeo)
if [[ ${DOCKYARD_REAL_NODE:-} == 0 ]]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "real node: not a Debian-like system; the control plane will run kwok Nodes only" >&2
  exit 0
fi
if [[ $(id -u) -ne 0 ]] && ! sudo -n true 2>/dev/null; then
  echo "real node: needs root; the control plane will run kwok Nodes only" >&2
  exit 0
fi
started=$(date +%s)
if ! "$(dirname "$0")/ensure-debian-packages.sh" "${packages[@]}"; then
  echo "real node: could not install ${packages[*]}; the control plane will run kwok Nodes only" >&2
  exit 0
fi
elapsed=$(($(date +%s) - started))
if ((elapsed > 1)); then echo "real node: Debian packages installed in ${elapsed}s" >&2; fi
