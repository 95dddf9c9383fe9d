import type { Registry } from '../../../api/v1alpha1/registry.ts';
import { childNames } from '../../common/registry-children.ts';

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
