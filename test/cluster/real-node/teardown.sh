#!/usr/bin/env bash
# Undoes one real node (see host-teardown.ts): the launcher copies this script into the host lock
# directory, beside record.env, which says what the host looked like before. It runs on a clean
# stop, from the SIGKILL reaper (processes.ts), and at the next start when an earlier owner of the
# lock died with its reaper. Every step tolerates "already gone", so it can run twice.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
source "$here/record.env"
: "${node_dir:?}" "${bridge:?}" "${cgroup_root:?}" "${cni_network:?}" "${lock_dir:?}"

# The node's own processes first, so the kubelet cannot start again what goes next: containerd,
# the kubelet, kube-proxy and CoreDNS name a file in the node directory on their command line,
# and so do containerd's shims (its socket). Usually the launcher or its reaper has already
# stopped them; not when both were killed, and the next run's lock found this script.
kill_node_processes() {
  local cmdline pid
  for cmdline in /proc/[0-9]*/cmdline; do
    pid=${cmdline#/proc/}
    pid=${pid%/cmdline}
    [[ $pid == "$$" ]] && continue
    if tr '\0' '\n' <"$cmdline" 2>/dev/null | grep -qF -- "$node_dir/"; then kill -KILL "$pid" 2>/dev/null; fi
  done
}
kill_node_processes

# Container processes live under the kubelet's cgroup root and outside the launcher's process
# groups: containerd's shims daemonize so that containers outlive a containerd restart.
kill_pods() {
  local found=0 procs pid
  for procs in $(find "/sys/fs/cgroup/$cgroup_root" /sys/fs/cgroup/*/"$cgroup_root" -name cgroup.procs 2>/dev/null); do
    for pid in $(cat "$procs" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null
      found=1
    done
  done
  return $found
}
for _ in 1 2 3 4 5 6 7 8 9 10; do kill_pods && break; sleep 0.2; done
kill_node_processes
sleep 0.2
# --processes-only: the launcher's stop ends the Pods (and their connections to the apiserver)
# before the control plane stops, and undoes the rest once it has.
[[ ${1:-} == --processes-only ]] && exit 0

# Deepest mounts first: kubelet volumes (tmpfs), sandbox shm, overlay rootfs, the kubelet's bind.
awk -v dir="$node_dir" '$5 == dir || index($5, dir "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
  while read -r mount; do umount -l "$mount" 2>/dev/null; done

# containerd names its network namespaces /run/netns/cni-*; those that were there before stay.
for ns in /run/netns/cni-*; do
  [[ -e $ns ]] || continue
  case " ${netns_before:-} " in *" ${ns##*/} "*) continue ;; esac
  umount -l "$ns" 2>/dev/null
  rm -f "$ns"
done

ip link delete "$bridge" 2>/dev/null

# kube-proxy's and the kubelet's KUBE-* chains, the bridge and portmap plugins' CNI-* chains, and
# every rule that jumps to one of them. iptables-restore replaces each table atomically.
for tool in iptables ip6tables; do
  command -v "$tool-save" >/dev/null || continue
  "$tool-save" | awk '/^:(KUBE-|CNI-)/ { next } /^-A (KUBE-|CNI-)/ { next } / -[jg] (KUBE-|CNI-)/ { next } { print }' |
    "$tool-restore" 2>/dev/null
done

for root in "/sys/fs/cgroup/$cgroup_root" /sys/fs/cgroup/*/"$cgroup_root"; do
  [[ -d $root ]] && find "$root" -depth -type d -exec rmdir {} + 2>/dev/null
done

# sysctls as they were: "path=value" pairs.
for pair in ${sysctls:-}; do
  echo "${pair#*=}" >"/proc/sys/${pair%%=*}" 2>/dev/null
done

for link in /var/log/containers/*; do
  [[ -L $link ]] && [[ $(readlink "$link") == "$node_dir"/* ]] && rm -f "$link"
done
# libcni's cached results: our network's, and the loopback ones containerd wrote since we started.
find /var/lib/cni/results -maxdepth 1 -type f \( -name "$cni_network-*" -o \( -name 'cni-loopback-*' -newer "$here/record.env" \) \) -delete 2>/dev/null

# Host directories we made go with what we left in them (the shims' sockets in /run/containerd/s);
# anything someone else has put there since stays.
for dir in ${created_dirs:-}; do
  find "$dir" -depth \( -type s -o -type d -empty \) -delete 2>/dev/null
done

rm -rf "$node_dir"
rm -rf "$lock_dir"
exit 0
