#!/usr/bin/env bash
# Installs the Debian packages the tests use when they are missing; does nothing when all are
# present, so it is cheap to call on every `make test`.
#   openssl          throwaway CA and client certificates for the local control plane
#   docker-registry  distribution 2.8, to check the registry client against the older API
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing packages ${missing[*]}, and this is not a Debian-like system: install them yourself" >&2
  exit 1
fi
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "installing ${missing[*]}" >&2
# The package's service must not start a registry on :5000 behind our back.
export DEBIAN_FRONTEND=noninteractive RUNLEVEL=1
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
