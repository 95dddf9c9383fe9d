import type { ApplyRejectedError } from '../../runtime/errors.ts';
import type { SpecProblem } from './builders/spec-problems.ts';

/**
 * Which field of a Registry's spec a field of a child comes from, so that an apiserver refusal
 * of a child names the field the user can change. The longest matching child path wins; a child
 * field not listed still gets a problem, naming the child and its field.
 */
const specFieldOfChildField: Readonly<Record<string, ReadonlyArray<readonly [childField: string, specField: string]>>> = {
  PersistentVolumeClaim: [
    ['spec.resources', 'spec.storage.persistentVolumeClaim.size'],
    ['spec.storageClassName', 'spec.storage.persistentVolumeClaim.storageClassName'],
    ['spec.accessModes', 'spec.storage.persistentVolumeClaim.accessMode'],
    ['spec', 'spec.storage.persistentVolumeClaim'],
  ],
  Deployment: [
    ['spec.replicas', 'spec.replicas'],
    ['spec.template.spec.containers[0].image', 'spec.image'],
    ['spec.template.spec.containers[0].resources', 'spec.resources'],
    ['spec.template.spec.nodeSelector', 'spec.placement.nodeSelector'],
    ['spec.template.spec.tolerations', 'spec.placement.tolerations'],
    ['spec.template.spec.affinity', 'spec.placement.affinity'],
    ['spec.template.spec.topologySpreadConstraints', 'spec.placement'],
  ],
  Service: [
    ['spec.type', 'spec.service.type'],
    ['spec.ports', 'spec.service'],
    ['metadata.annotations', 'spec.service.annotations'],
  ],
  Ingress: [
    ['spec.ingressClassName', 'spec.ingress.className'],
    ['spec.rules', 'spec.ingress.host'],
    ['spec.tls', 'spec.ingress.tlsSecretName'],
    ['metadata.annotations', 'spec.ingress.annotations'],
  ],
  DaemonSet: [['spec.template.spec.containers[0].ports', 'spec.nodeAccess.hostPort']],
};

/** The problems to report for a refused child: one per cause, each naming the spec field behind it. */
export function problemsOfRejection(rejection: ApplyRejectedError): SpecProblem[] {
  const causes = rejection.causes.length > 0 ? rejection.causes : [{ field: '', message: rejection.message }];
  return causes.map((cause) => ({
    field: specFieldOf(rejection.kind, cause.field) ?? `spec (through ${rejection.kind} ${rejection.objectName}${cause.field ? ` ${cause.field}` : ''})`,
    message: `the apiserver refused ${rejection.kind} ${rejection.objectName}: ${cause.field ? `${cause.field}: ` : ''}${cause.message}`,
  }));
}

function specFieldOf(kind: string, childField: string): string | undefined {
  let best: readonly [string, string] | undefined;
  for (const entry of specFieldOfChildField[kind] ?? []) {
    const [prefix] = entry;
    const matches = childField === prefix || childField.startsWith(`${prefix}.`) || childField.startsWith(`${prefix}[`);
    if (matches && (best === undefined || prefix.length > best[0].length)) best = entry;
  }
  return best?.[1];
}
