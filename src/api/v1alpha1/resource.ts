import { z } from 'zod';

export const group = 'dockyard.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;

/** A column of `kubectl get` (apiextensions.k8s.io/v1 CustomResourceColumnDefinition). */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  /** 0 (the default) shows in `kubectl get`; higher only in `kubectl get -o wide`. */
  priority?: number;
}

/** Everything that makes a kind: its names, its schemas and how `kubectl get` shows it. */
export interface KindDefinition<Spec extends z.ZodType = z.ZodType, Status extends z.ZodType = z.ZodType> {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** Shown by `kubectl explain <kind>`. */
  description: string;
  spec: Spec;
  status: Status;
  printerColumns: PrinterColumn[];
}

/**
 * The metadata zod sees. The apiserver validates metadata itself (a CRD schema may not constrain
 * it beyond name), so zod only types the fields the operator reads and keeps the rest.
 */
const ObjectMeta = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});

export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};

/** The whole object of a kind, as the operator reads it from the apiserver. */
export function resourceSchema<Spec extends z.ZodType, Status extends z.ZodType>(definition: KindDefinition<Spec, Status>) {
  return z.strictObject({
    apiVersion: z.literal(apiVersion),
    kind: z.literal(definition.kind),
    metadata: ObjectMeta,
    spec: definition.spec,
    status: definition.status.optional(),
  });
}
