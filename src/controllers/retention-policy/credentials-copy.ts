import type { V1Secret } from '@kubernetes/client-node';
import type { KubeObject } from '../../runtime/resource.ts';
import { readAccessCredentials, type SourceReading } from '../common/registry-access.ts';
import { policyAnnotation, retentionLabels } from './names.ts';
import type { RetentionTarget } from './registry-target.ts';

/**
 * The Secret the runs mount, in the jobs namespace: the credentials and CA copied from the
 * Registry's namespace. The run's ServiceAccount reads no Secret anywhere; the kubelet mounts
 * this one. Owned by the CronJob, so it goes when the CronJob goes.
 */
export async function credentialsCopy(
  target: RetentionTarget,
  copy: { name: string; namespace: string; policyKey: string; owner: { name: string; uid: string } },
  reading: SourceReading,
): Promise<KubeObject & Pick<V1Secret, 'type' | 'data'>> {
  const { credentials, ca } = await readAccessCredentials(target, reading);
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const data: Record<string, string> = {
    ...(credentials !== undefined ? { username: base64(credentials.username), password: base64(credentials.password) } : {}),
    ...(ca !== undefined ? { 'ca.crt': base64(ca) } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: copy.name,
      namespace: copy.namespace,
      labels: { ...retentionLabels },
      annotations: { [policyAnnotation]: copy.policyKey },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: copy.owner.name, uid: copy.owner.uid }],
    },
    // An anonymous run's copy has no keys; an empty map would not survive the round trip through
    // the apiserver, and every reconcile would then apply it again.
    ...(Object.keys(data).length > 0 ? { data } : {}),
  };
}
