import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreResources } from '../../../src/runtime/resource.ts';
import { KubeClient } from '../../../src/runtime/kube-client.ts';
import { apiListWatchSource } from '../../../src/runtime/list-watch-source.ts';
import type { KubeObject } from '../../../src/runtime/resource.ts';
import { adminKubeConfig, createTestNamespace } from '../../support/kube.ts';

const configMaps = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true } as const;

describe('what an informer source hands to the cache', () => {
  let client: KubeClient;
  let namespace: string;
  let removeNamespace: () => Promise<void>;

  beforeAll(async () => {
    const kubeConfig = adminKubeConfig();
    client = new KubeClient(kubeConfig);
    ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kubeConfig, 'cache-contents'));
  });

  afterAll(async () => {
    await removeNamespace?.();
  });

  it('keeps listed and watched objects whole except for managedFields', async () => {
    const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shape', namespace, labels: { tier: 'a' } }, data: { key: 'value' } };
    const written = await client.patch<KubeObject>(configMaps, { namespace, name: 'shape' }, 'apply', applied, { fieldManager: 'cache-test', force: true });
    expect(written.metadata?.managedFields).toBeDefined();

    const source = apiListWatchSource<KubeObject>(client, { resource: configMaps, namespace, labelSelector: 'tier' });
    const page = await source.list({ limit: 10, signal: AbortSignal.timeout(10_000) });
    expect(page.items).toHaveLength(1);
    const listed = page.items[0]!;
    expect(listed.metadata).not.toHaveProperty('managedFields');
    expect(listed).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'shape', labels: { tier: 'a' }, uid: written.metadata?.uid },
      data: { key: 'value' },
    });

    const events = source
      .watch({ resourceVersion: page.metadata.resourceVersion ?? '', timeoutSeconds: 30, signal: AbortSignal.timeout(20_000) })
      [Symbol.asyncIterator]();
    await client.patch(
      configMaps,
      { namespace, name: 'shape' },
      'apply',
      { ...applied, data: { key: 'changed' } },
      { fieldManager: 'cache-test', force: true },
    );
    const first = await events.next();
    await events.return?.();
    expect(first.done).toBe(false);
    expect(first.value?.type).toBe('MODIFIED');
    expect(first.value?.object.metadata).not.toHaveProperty('managedFields');
    expect(first.value?.object).toMatchObject({ metadata: { name: 'shape', labels: { tier: 'a' } }, data: { key: 'changed' } });
  });

  it('changes nothing else: a listed Namespace equals a GET of it less managedFields', async () => {
    const source = apiListWatchSource<KubeObject>(client, { resource: coreResources.namespaces, fieldSelector: `metadata.name=${namespace}` });
    const page = await source.list({ limit: 10, signal: AbortSignal.timeout(10_000) });
    const direct = await client.get<KubeObject>(coreResources.namespaces, { name: namespace });
    const { managedFields: _dropped, ...metadata } = direct.metadata ?? {};
    expect(page.items).toEqual([{ ...direct, metadata }]);
  });
});
