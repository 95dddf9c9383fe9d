import type { V1Pod } from '@kubernetes/client-node';
import type { WriteGate } from '../../../registry-auth/write-gate.ts';
import { errorMessage } from '../../../runtime/errors.ts';

/**
 * The door reads the gate from the auth Secret's volume, and the kubelet refreshes a Secret
 * volume only when it syncs the Pod: on a change to the Pod, or at its periodic sync (a minute by
 * default, plus its cache's delay). Left alone, a new gate reached the doors 60-100 s after the
 * operator wrote it (measured on the real node), and a lifted gate kept refusing pushes as long.
 * A changed annotation on the Pod makes its kubelet sync it at once, the way the Kubernetes
 * docs advise for mounted ConfigMaps. The annotation names the gate, so only a Pod whose value
 * differs is written: reconciles that change nothing write nothing.
 */
export const writeGateAnnotation = 'dockyard.dev/write-gate';

export interface PodRef {
  namespace: string;
  name: string;
}

/** The merge patches that bring each Pod's annotation to `gate` (removed when there is no gate), for the Pods that differ. */
export function kubeletNudges(pods: readonly V1Pod[], gate: WriteGate | undefined): Array<{ pod: PodRef; patch: object }> {
  const wanted = gate?.id;
  return pods.flatMap((pod) => {
    const { namespace, name, annotations, deletionTimestamp } = pod.metadata ?? {};
    if (namespace === undefined || name === undefined || deletionTimestamp !== undefined) return [];
    if (annotations?.[writeGateAnnotation] === wanted) return [];
    return [{ pod: { namespace, name }, patch: { metadata: { annotations: { [writeGateAnnotation]: wanted ?? null } } } }];
  });
}

/**
 * Sends the nudges. One that fails (the Pod went, or an older install lacks `patch pods`) costs
 * speed, not safety: the run still waits until every door reports the gate, and the kubelet's own
 * sync delivers it. So it is logged and the run goes on.
 */
export async function nudgeKubelets(
  pods: readonly V1Pod[],
  gate: WriteGate | undefined,
  ports: { patch(pod: PodRef, patch: object): Promise<unknown>; warn(pod: PodRef, message: string): void },
): Promise<void> {
  await Promise.all(
    kubeletNudges(pods, gate).map(async ({ pod, patch }) => {
      try {
        await ports.patch(pod, patch);
      } catch (error) {
        ports.warn(pod, errorMessage(error));
      }
    }),
  );
}
