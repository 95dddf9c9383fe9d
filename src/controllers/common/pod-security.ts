import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';

/**
 * The user every Dockyard container runs as ("nonroot" in distroless images; the operator image's
 * USER). The official registry image defaults to root; nothing in it needs root.
 */
const nonRootUser = 65532;

/**
 * Pod-level security of Dockyard's Pods: the Pod Security Standards "restricted" profile. fsGroup
 * makes a fresh volume (a PersistentVolumeClaim) writable by the non-root user; OnRootMismatch
 * skips the recursive chown on later mounts, which on a registry volume with millions of blob
 * files would otherwise delay every start by minutes.
 */
export function restrictedPodSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: nonRootUser,
    runAsGroup: nonRootUser,
    fsGroup: nonRootUser,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level security: nothing writable but volumes, no capabilities, no way to gain any. */
export function restrictedContainerSecurityContext(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
}
