import type { Registry } from '../../../api/v1alpha1/registry.ts';
import { childNames } from '../../common/registry-children.ts';
import { sharedStorage } from './storage.ts';

/** Something in a Registry that makes its children impossible to build, with the field to fix. */
export interface SpecProblem {
  field: string;
  message: string;
}

/** A Service's name: an RFC 1035 label (a letter first, no dots, at most 63 characters). */
const dns1035Label = /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/;

/**
 * What the CRD schema cannot check but the children need. CEL in a CRD sees only
 * metadata.name's generic rules, and a Registry name becomes part of the Service's name, which
 * must be an RFC 1035 label. A Registry Dockyard does not run (external) has no children.
 */
export function specProblems(registry: Registry): SpecProblem[] {
  if (registry.spec.external !== undefined) return [];
  return [...serviceNameProblems(registry), ...replicaProblems(registry)];
}

function serviceNameProblems(registry: Registry): SpecProblem[] {
  const name = registry.metadata.name ?? '';
  const serviceName = childNames(name).workload;
  if (dns1035Label.test(serviceName) && serviceName.length <= 63) return [];
  const longest = 63 - (serviceName.length - name.length);
  return [
    {
      field: 'metadata.name',
      message: `the Service of the registry is named ${JSON.stringify(serviceName)}, which must be an RFC 1035 label: start with a letter, no dots, so at most ${longest} characters for the Registry's name; create the Registry under another name`,
    },
  ];
}

/**
 * The CRD refuses more than one replica without shared storage, but a Registry stored under an
 * older CRD, or applied where the CEL rules were off, can still ask for it. Built anyway, the
 * second Pod would wait forever for a ReadWriteOnce volume the first holds (or, with emptyDir,
 * serve images of its own that the other replicas lack).
 */
function replicaProblems(registry: Registry): SpecProblem[] {
  const replicas = registry.spec.replicas ?? 1;
  if (replicas <= 1 || sharedStorage(registry)) return [];
  const storage = registry.spec.storage;
  const what =
    storage?.persistentVolumeClaim !== undefined
      ? `a persistentVolumeClaim with accessMode ${storage.persistentVolumeClaim.accessMode} attaches to one node (or Pod) at a time`
      : 'each Pod would keep images of its own in its emptyDir';
  return [
    {
      field: 'spec.replicas',
      message: `${replicas} replicas need storage they all share, and ${what}: set replicas to 1, or use s3 (or a ReadWriteMany claim) in a new Registry`,
    },
  ];
}
