import { z } from 'zod';
import { withRules } from '../validation-rule.ts';
import { Quantity, ObjectName, Timestamp } from './formats.ts';

// Object shapes the three kinds share: references, conditions, resources and placement.

/** A string map with a bound on its size, enforced by zod and declared as maxProperties. */
export function boundedMap(maxEntries: number, valueMaxLength = 1024) {
  return z
    .record(z.string(), z.string().max(valueMaxLength))
    .refine((map) => Object.keys(map).length <= maxEntries, { message: `must have at most ${maxEntries} entries` })
    .meta({ maxProperties: maxEntries });
}

/**
 * A reference to the Registry a RetentionPolicy or ImageRepository belongs to. A namespace is a
 * tenant, so the Registry is always in the referring object's own namespace. CEL cannot compare
 * with the object's namespace (only metadata.name and generateName are visible to it), so the
 * reference has no usable namespace field: one that is given is rejected, rather than pruned
 * silently when a client does not ask for strict field validation.
 */
export const RegistryReference = withRules(
  z.strictObject({
    name: ObjectName.describe('Name of the Registry. It must be in the same namespace as the object that refers to it.'),
    namespace: z
      .string()
      .max(63)
      .optional()
      .describe(
        'Must be omitted. References never cross namespaces (a namespace is a tenant); the field exists so that a ' +
          'cross-namespace reference is rejected instead of silently ignored.',
      ),
  }),
  [
    {
      cel: '!has(self.namespace)',
      field: '.namespace',
      reason: 'FieldValueForbidden',
      message: 'cross-namespace references are not allowed: the Registry must be in the same namespace; omit namespace',
      holds: (reference) => reference.namespace === undefined,
    },
  ],
);

export const SecretReference = z.strictObject({
  name: ObjectName.describe('Name of a Secret in the same namespace.'),
});

/** A key of a ConfigMap or Secret in the same namespace, such as a CA bundle. */
export const KeyReference = z.strictObject({
  kind: z.enum(['ConfigMap', 'Secret']).default('ConfigMap').describe('Kind of the object that holds the key: ConfigMap or Secret.'),
  name: ObjectName.describe('Name of the ConfigMap or Secret, in the same namespace.'),
  key: z.string().min(1).max(253).default('ca.crt').describe('Key within the object.'),
});

export const ResourceRequirements = z.strictObject({
  requests: z
    .strictObject({
      cpu: Quantity.optional().describe('CPU requested, in cores (500m is half a core).'),
      memory: Quantity.optional().describe('Memory requested, in bytes (such as 256Mi).'),
    })
    .optional()
    .describe('Resources the scheduler reserves for the container.'),
  limits: z
    .strictObject({
      cpu: Quantity.optional().describe('CPU limit, in cores.'),
      memory: Quantity.optional().describe('Memory limit, in bytes; the container is killed above it.'),
    })
    .optional()
    .describe('Upper bounds the container may not exceed.'),
});

const Toleration = z.strictObject({
  key: z.string().max(316).optional().describe('Taint key the toleration applies to; empty with operator Exists matches every key.'),
  operator: z.enum(['Exists', 'Equal']).optional().describe('Exists or Equal (the default) between key and value.'),
  value: z.string().max(63).optional().describe('Taint value to match with operator Equal.'),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional().describe('Taint effect to match; empty matches all effects.'),
  tolerationSeconds: z.int().min(0).optional().describe('For NoExecute: how long the Pod stays bound after the taint appears.'),
});

export const Placement = z.strictObject({
  nodeSelector: boundedMap(32).optional().describe('Node labels a Pod requires, as in a Pod spec.'),
  tolerations: z.array(Toleration).max(32).optional().describe('Taints the Pods tolerate, as in a Pod spec.'),
  affinity: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({
      'x-kubernetes-preserve-unknown-fields': true,
      description:
        'Scheduling constraints, in the shape of a core/v1 Affinity (nodeAffinity, podAffinity, podAntiAffinity). ' +
        'Copied into the Pod template as written and validated by the apiserver there.',
    }),
});

export const LabelSelector = z.strictObject({
  matchLabels: boundedMap(32).optional().describe('Labels a namespace must carry, all of them.'),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string().min(1).max(317).describe('Label key the requirement applies to.'),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).describe('How the label relates to values.'),
        values: z.array(z.string().max(63)).max(64).optional().describe('Label values, for In and NotIn.'),
      }),
    )
    .max(16)
    .optional()
    .describe('Label requirements a namespace must meet, all of them.'),
});

/** The standard condition shape (metav1.Condition), so `kubectl wait --for=condition=Ready` works. */
const Condition = z.strictObject({
  type: z
    .string()
    .max(316)
    .regex(/^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\/)?(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
    .describe('Type of the condition in CamelCase, such as Ready.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Whether the condition holds: True, False or Unknown.'),
  observedGeneration: z.int().min(0).optional().describe('The metadata.generation the condition was computed from.'),
  lastTransitionTime: Timestamp.describe('When the status last changed.'),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z](?:[A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
    .describe('Why the condition is in its status, in CamelCase, for programs.'),
  message: z.string().max(32768).describe('Why the condition is in its status, for people.'),
});

export const Conditions = z
  .array(Condition)
  .max(16)
  // The apiserver rejects duplicate keys of a map-type list by itself.
  .refine((conditions) => new Set(conditions.map((condition) => condition.type)).size === conditions.length, {
    message: 'must hold at most one condition of each type',
  })
  .meta({
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    description: 'The latest observations of the object, one per condition type.',
  });

export const ObservedGeneration = z.int().min(0).describe('The metadata.generation the status was computed from.');
