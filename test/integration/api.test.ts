import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { customResourceDefinition } from '../../src/api/crd.ts';
import type { JsonSchemaProps } from '../../src/api/structural-schema.ts';
import { group, kindNamed, version, type KindDefinition } from '../../src/api/v1alpha1/index.ts';
import { eventually } from '../support/eventually.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';
import { installDockyardCrds } from '../support/crds.ts';
import { dockyardSamples } from '../support/samples.ts';
import { invalidObjects, validImageRepositorySpec, validRegistrySpec, validRetentionPolicySpec } from '../support/invalid-objects.ts';

const run = promisify(execFile);
const fieldManager = 'dockyard-api-test';

type KubernetesObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec: Record<string, unknown>;
};

function definitionOf(kind: string): KindDefinition {
  const definition = kindNamed(kind);
  if (!definition) throw new Error(`no kind ${kind} in ${group}/${version}`);
  return definition;
}

/** The apiserver's explanation of a rejected request (a Status), or the error itself. */
function rejection(error: unknown): { code: number | undefined; message: string } {
  if (!(error instanceof ApiException)) return { code: undefined, message: String(error) };
  const body: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
  const status = body as { message?: string; details?: { causes?: { field?: string; message?: string }[] } };
  const causes = status.details?.causes?.map((cause) => `${cause.field}: ${cause.message}`) ?? [];
  return { code: error.code, message: [status.message, ...causes].join('\n') };
}

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: inject('kubeconfig') } });
  return stdout;
}

/** Text with every run of whitespace made one space, so wrapped output compares with the source. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

describe('the dockyard.dev API on a real apiserver', () => {
  let kubeConfig: KubeConfig;
  let objects: CustomObjectsApi;
  let namespace: string;
  let removeNamespace: () => Promise<void>;

  const create = (object: KubernetesObject, options: { dryRun?: boolean; strict?: boolean } = {}) =>
    objects.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: definitionOf(object.kind).plural,
      body: { ...object, metadata: { ...object.metadata, namespace } },
      fieldManager,
      ...(options.dryRun ? { dryRun: 'All' } : {}),
      ...(options.strict ? { fieldValidation: 'Strict' } : {}),
    }) as Promise<KubernetesObject>;

  const read = (kind: string, name: string) =>
    objects.getNamespacedCustomObject({ group, version, namespace, plural: definitionOf(kind).plural, name }) as Promise<KubernetesObject>;

  const replace = (object: KubernetesObject) =>
    objects.replaceNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: definitionOf(object.kind).plural,
      name: object.metadata.name,
      body: object,
      fieldManager,
      fieldValidation: 'Strict',
    }) as Promise<KubernetesObject>;

  beforeAll(async () => {
    kubeConfig = adminKubeConfig();
    objects = kubeConfig.makeApiClient(CustomObjectsApi);
    await installDockyardCrds(kubeConfig, fieldManager);
    ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kubeConfig, 'api'));
  });

  afterAll(async () => {
    await removeNamespace?.();
  });

  it.each(dockyardSamples().map((sample) => [`${sample.file}: ${sample.object.kind} ${sample.object.metadata.name}`, sample] as const))(
    'accepts the sample %s under strict field validation',
    async (_, sample) => {
      await expect(create(sample.object, { dryRun: true, strict: true })).resolves.toMatchObject({ kind: sample.object.kind });
    },
  );

  it.each(invalidObjects.map((invalid) => [`${invalid.object.kind}: ${invalid.problem}`, invalid] as const))(
    'rejects %s, naming the field as zod does',
    async (_, invalid) => {
      const error = await create(invalid.object, { dryRun: true, strict: invalid.strictFieldValidation }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(error, 'the apiserver accepted the object').toBeDefined();
      const { code, message } = rejection(error);
      expect([400, 422], message).toContain(code);
      expect(message).toContain(invalid.field);
    },
  );

  describe('round trip', () => {
    it.each(dockyardSamples().map((sample) => [`${sample.file}: ${sample.object.kind} ${sample.object.metadata.name}`, sample] as const))(
      '%s is stored with exactly the defaults zod applies',
      async (_, sample) => {
        const { spec: specSchema } = definitionOf(sample.object.kind);
        await create(sample.object, { strict: true });
        const stored = await read(sample.object.kind, sample.object.metadata.name);
        const operatorView = specSchema.parse(sample.object.spec);
        // The apiserver's defaulting, seen raw, is what zod computes from the sample...
        expect(stored.spec).toEqual(operatorView);
        // ...and the operator, parsing what it reads back, sees the same again.
        expect(specSchema.parse(stored.spec)).toEqual(operatorView);
      },
    );
  });

  it('explains nested fields with the descriptions of the schema', async () => {
    const registrySchema = customResourceDefinition(definitionOf('Registry')).spec.versions[0]!.schema.openAPIV3Schema as JsonSchemaProps;
    const claim = ['spec', 'storage', 'persistentVolumeClaim'].reduce(
      (node, field) => (node['properties'] as Record<string, JsonSchemaProps>)[field]!,
      registrySchema,
    );
    // The apiserver publishes a new CRD's OpenAPI a moment after it is Established.
    const explained = await eventually(() => kubectl('explain', 'registry.spec.storage.persistentVolumeClaim'), {
      what: 'kubectl explain to know Registry',
      timeoutMs: 30_000,
    });
    expect(flat(explained)).toContain(flat(String(claim['description'])));
    for (const [field, property] of Object.entries(claim['properties'] as Record<string, JsonSchemaProps>)) {
      expect(explained).toContain(field);
      expect(flat(explained)).toContain(flat(String(property['description'])));
    }
  });

  it('lists all kinds under the dockyard category, with their printer columns', async () => {
    await create({ apiVersion: `${group}/${version}`, kind: 'Registry', metadata: { name: 'listed' }, spec: validRegistrySpec });
    await create({ apiVersion: `${group}/${version}`, kind: 'RetentionPolicy', metadata: { name: 'listed' }, spec: validRetentionPolicySpec });
    const listing = await kubectl('get', 'dockyard', '--namespace', namespace);
    expect(listing).toMatch(/registry\.dockyard\.dev\/listed/);
    expect(listing).toMatch(/retentionpolicy\.dockyard\.dev\/listed/);
    for (const kind of ['Registry', 'RetentionPolicy']) {
      const definition = definitionOf(kind);
      const header = (await kubectl('get', definition.plural, '--namespace', namespace)).split('\n')[0] ?? '';
      const shown = definition.printerColumns.filter((column) => !column.priority).map((column) => column.name.toUpperCase());
      expect(header.split(/\s{2,}/).slice(1)).toEqual(shown);
    }
  });

  it('shows the last run of a RetentionPolicy written through the status subresource', async () => {
    const policy = await create({ apiVersion: `${group}/${version}`, kind: 'RetentionPolicy', metadata: { name: 'reported' }, spec: validRetentionPolicySpec });
    const status = {
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Scheduled', message: 'next run scheduled', lastTransitionTime: '2026-01-02T03:00:00Z' }],
      lastRun: { startTime: '2026-01-02T03:00:00Z', completionTime: '2026-01-02T03:01:00Z', outcome: 'Succeeded', deleted: 42 },
      nextRunTime: '2026-01-03T03:00:00Z',
    };
    expect(definitionOf('RetentionPolicy').status.safeParse(status).success).toBe(true);
    await objects.replaceNamespacedCustomObjectStatus({
      group,
      version,
      namespace,
      plural: 'retentionpolicies',
      name: 'reported',
      body: { ...policy, status },
    });
    const row = (await kubectl('get', 'retentionpolicy', 'reported', '--namespace', namespace, '--no-headers')).trim().split(/\s{2,}/);
    expect(row[0]).toBe('reported');
    expect(row[3]).toBe('42');
  });

  describe('immutable fields', () => {
    const changes: [what: string, original: KubernetesObject, change: (spec: Record<string, unknown>) => Record<string, unknown>, rejection: RegExp][] = [
      [
        'moving a RetentionPolicy to another Registry',
        { apiVersion: `${group}/${version}`, kind: 'RetentionPolicy', metadata: { name: 'fixed-registry' }, spec: validRetentionPolicySpec },
        (spec) => ({ ...spec, registryRef: { name: 'other' } }),
        /spec\.registryRef: .*registryRef is immutable/,
      ],
      [
        'pointing an ImageRepository at another repository',
        { apiVersion: `${group}/${version}`, kind: 'ImageRepository', metadata: { name: 'fixed-path' }, spec: validImageRepositorySpec },
        (spec) => ({ ...spec, repository: 'apps/api' }),
        /spec\.repository: .*repository is immutable/,
      ],
      [
        'changing the storage kind of a Registry',
        { apiVersion: `${group}/${version}`, kind: 'Registry', metadata: { name: 'fixed-storage' }, spec: validRegistrySpec },
        (spec) => ({ ...spec, storage: { persistentVolumeClaim: { size: '1Gi' } } }),
        /spec\.storage: .*storage kind cannot change/,
      ],
      [
        'turning a Registry Dockyard runs into an external one',
        { apiVersion: `${group}/${version}`, kind: 'Registry', metadata: { name: 'fixed-mode' }, spec: validRegistrySpec },
        () => ({ external: { url: 'https://registry.example.com' } }),
        /spec\.external: .*external cannot be added or removed/,
      ],
    ];

    it.each(changes)('refuses %s', async (_, original, change, expected) => {
      const stored = await create(original, { strict: true });
      const error = await replace({ ...stored, spec: change(stored.spec) }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(error, 'the apiserver took the change').toBeDefined();
      expect(rejection(error).message).toMatch(expected);
    });

    it('still takes changes to mutable fields', async () => {
      const policy = await create({
        apiVersion: `${group}/${version}`,
        kind: 'RetentionPolicy',
        metadata: { name: 'rescheduled' },
        spec: validRetentionPolicySpec,
      });
      const rescheduled = await replace({ ...policy, spec: { ...policy.spec, schedule: '0 5 * * *', dryRun: true } });
      expect(rescheduled.spec).toMatchObject({ schedule: '0 5 * * *', dryRun: true });
    });
  });
});
