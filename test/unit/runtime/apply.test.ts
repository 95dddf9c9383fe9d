import { describe, expect, it } from 'vitest';
import { appliedHashAnnotation, applyObject } from '../../../src/runtime/apply.ts';
import type { KubeClient, PatchOptions, PatchType } from '../../../src/runtime/kube-client.ts';
import { coreResources, type KubeObject, type ObjectKey, type ResourceType } from '../../../src/runtime/resource.ts';
import { writeStatus } from '../../../src/runtime/status.ts';

interface PatchCall {
  resource: ResourceType;
  key: ObjectKey;
  type: PatchType;
  body: KubeObject;
  options: PatchOptions;
}

/** A client that records patches and answers with the body, as an apply of a new object would. */
function recordingClient() {
  const calls: PatchCall[] = [];
  const client = {
    patch: async (resource: ResourceType, key: ObjectKey, type: PatchType, body: KubeObject, options: PatchOptions) => {
      calls.push({ resource, key, type, body, options });
      return structuredClone(body);
    },
  } as unknown as KubeClient;
  return { client, calls };
}

const desired: KubeObject = { metadata: { name: 'child', namespace: 'ns', labels: { app: 'x' } }, data: { a: '1', b: '2' } };

describe('applyObject', () => {
  it('sends a server-side apply as field manager dockyard, forced, with strict validation', async () => {
    const { client, calls } = recordingClient();
    const result = await applyObject(client, coreResources.configMaps, desired);
    expect(result.written).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      key: { namespace: 'ns', name: 'child' },
      type: 'apply',
      options: { fieldManager: 'dockyard', force: true, fieldValidation: 'Strict' },
      body: { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1', b: '2' } },
    });
    expect(calls[0]!.body.metadata!.annotations![appliedHashAnnotation]).toMatch(/^[0-9a-f]{16}$/);
  });

  it('sends nothing when the live object already holds what is desired, extra server fields included', async () => {
    const { client, calls } = recordingClient();
    const { object: applied } = await applyObject(client, coreResources.configMaps, desired);
    const live = { ...applied, metadata: { ...applied.metadata, uid: 'u', resourceVersion: '5', managedFields: [{}] } };
    delete live.apiVersion; // as listed objects come
    const again = await applyObject(client, coreResources.configMaps, desired, { live });
    expect(again).toEqual({ object: live, written: false });
    expect(calls).toHaveLength(1);
  });

  it('applies again when someone changed a field we own', async () => {
    const { client, calls } = recordingClient();
    const { object: applied } = await applyObject(client, coreResources.configMaps, desired);
    const drifted = { ...applied, data: { a: 'edited', b: '2' } };
    expect((await applyObject(client, coreResources.configMaps, desired, { live: drifted })).written).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('applies again when the desired object dropped a field, which a containment check alone would miss', async () => {
    const { client, calls } = recordingClient();
    const { object: applied } = await applyObject(client, coreResources.configMaps, desired);
    const smaller = { ...desired, data: { a: '1' } };
    expect((await applyObject(client, coreResources.configMaps, smaller, { live: applied })).written).toBe(true);
    expect(calls[1]!.body['data']).toEqual({ a: '1' });
  });
});

describe('writeStatus', () => {
  const registries: ResourceType = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'Registry', plural: 'registries', namespaced: true };
  const live: KubeObject = { metadata: { name: 'main', namespace: 'team-a' }, spec: { x: 1 }, status: { phase: 'Ready', observedGeneration: 2 } };

  it('skips the write when the status is unchanged', async () => {
    const { client, calls } = recordingClient();
    expect(await writeStatus(client, registries, live, { observedGeneration: 2, phase: 'Ready', endpoint: undefined })).toBe(false);
    expect(calls).toEqual([]);
  });

  it('applies only the status, through the status subresource', async () => {
    const { client, calls } = recordingClient();
    expect(await writeStatus(client, registries, live, { phase: 'Failed', observedGeneration: 3 })).toBe(true);
    expect(calls[0]).toMatchObject({ type: 'apply', options: { subresource: 'status', fieldManager: 'dockyard', force: true } });
    expect(calls[0]!.body).toEqual({
      apiVersion: 'dockyard.dev/v1alpha1',
      kind: 'Registry',
      metadata: { name: 'main', namespace: 'team-a' },
      status: { phase: 'Failed', observedGeneration: 3 },
    });
  });

  it('writes when a field was dropped from the status', async () => {
    const { client } = recordingClient();
    expect(await writeStatus(client, registries, live, { phase: 'Ready' })).toBe(true);
  });
});
