import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Controller, type ControllerDefinition, type ReconcileContext } from '../../../src/runtime/controller.ts';
import { TerminalError } from '../../../src/runtime/errors.ts';
import { EventRecorder } from '../../../src/runtime/events.ts';
import { InformerSet } from '../../../src/runtime/informer-set.ts';
import { KubeClient } from '../../../src/runtime/kube-client.ts';
import { watchTargetName, type WatchTarget } from '../../../src/runtime/list-watch-source.ts';
import { OperatorMetrics } from '../../../src/runtime/metrics.ts';
import type { KubeObject, ResourceType } from '../../../src/runtime/resource.ts';
import { settle } from './fake-clock.ts';
import { FakeListWatch } from './fake-list-watch.ts';

const registries: ResourceType = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'Registry', plural: 'registries', namespaced: true };
const deployments: ResourceType = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true };
const namespaces: ResourceType = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
const root: WatchTarget = { resource: registries };
const owned: WatchTarget = { resource: deployments };
const watched: WatchTarget = { resource: namespaces };

const log = pino({ level: 'silent' });

/** A controller over fake collections: one per target, driven by the test. */
function harness(definition: Omit<ControllerDefinition, 'root' | 'owns' | 'watches' | 'name'> & Partial<ControllerDefinition>) {
  const sources = new Map([root, owned, watched].map((target) => [watchTargetName(target), new FakeListWatch()]));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'none', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'none' }],
    contexts: [{ name: 'none', cluster: 'none', user: 'none' }],
    currentContext: 'none',
  });
  const client = new KubeClient(kubeConfig);
  const metrics = new OperatorMetrics({ processMetrics: false });
  const informers = new InformerSet({
    client,
    log,
    metrics,
    settings: { decorateSource: (_source, target) => sources.get(watchTargetName(target))! },
  });
  const events = new EventRecorder({
    sink: { create: async () => undefined, updateSeries: async () => undefined },
    log,
    reportingController: 'test',
    reportingInstance: 'test',
  });
  const controller = new Controller(
    { name: 'registries', root, owns: [owned], watches: [{ target: watched, map: (ns) => [`${ns.metadata!.name}/main`] }], ...definition },
    { client, informers, events, metrics, log },
  );
  const source = (target: WatchTarget) => sources.get(watchTargetName(target))!;
  return {
    controller,
    metrics,
    registries: source(root),
    deployments: source(owned),
    namespaces: source(watched),
    async start() {
      informers.startAll();
      await informers.waitForSync();
      controller.start();
      stops.push(async () => {
        await controller.stop({ abort: true });
        await informers.stopAll();
      });
    },
    async outcomes(): Promise<Record<string, number>> {
      const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'dockyard_reconcile_total');
      return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels['result']), v.value]));
    },
    /** Rate-limited re-adds scheduled so far (counted when scheduled, not when they run). */
    async retries(): Promise<number> {
      const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'dockyard_workqueue_retries_total');
      return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
    },
  };
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** Records reconciled keys; resolves waiters as counts are reached. */
function recorder() {
  const keys: string[] = [];
  const waiters: Array<() => void> = [];
  return {
    keys,
    note(key: string) {
      keys.push(key);
      for (const wake of waiters.splice(0)) wake();
    },
    async until(count: number) {
      while (keys.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

describe('Controller', () => {
  it('reconciles root objects by key, with the cached object in its context', async () => {
    const seen = recorder();
    const objects: Array<KubeObject | undefined> = [];
    const h = harness({
      reconcile: async (key, context: ReconcileContext<KubeObject>) => {
        objects.push(context.object);
        seen.note(key);
      },
    });
    h.registries.put('main', { size: 'big' });
    await h.start();
    await seen.until(1);
    expect(seen.keys).toEqual(['ns/main']);
    expect(objects[0]?.['data']).toEqual({ size: 'big' });
  });

  it('maps an owned object to its controller owner, and a watched object through its mapping', async () => {
    const seen = recorder();
    const h = harness({ reconcile: async (key) => seen.note(key) });
    await h.start();

    const owner = { apiVersion: 'dockyard.dev/v1alpha1', kind: 'Registry', name: 'main', uid: 'u1', controller: true };
    h.deployments.put('main-registry', {}, { ownerReferences: [owner] });
    await seen.until(1);
    // Controlled by something that is not a Registry, or not controlled at all: no key.
    h.deployments.put('unrelated', {}, { ownerReferences: [{ ...owner, name: 'other', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] });
    h.deployments.put('loose', {}, { ownerReferences: [{ ...owner, name: 'other', controller: false }] });
    h.namespaces.put('team-b', {}, { namespace: undefined });
    await seen.until(2);
    await settle();
    expect(seen.keys).toEqual(['ns/main', 'team-b/main']);
  });

  it('retries a failing reconcile with backoff, and forgets the failures once it succeeds', async () => {
    const seen = recorder();
    let failuresLeft = 2;
    const h = harness({
      reconcile: async (key) => {
        seen.note(key);
        if (failuresLeft-- > 0) throw new Error('apiserver said no');
      },
    });
    h.registries.put('main');
    await h.start();
    await seen.until(3);
    expect(seen.keys).toEqual(['ns/main', 'ns/main', 'ns/main']);
    expect(await h.outcomes()).toEqual({ error: 2, success: 1 });
    expect(await h.retries()).toBe(2);
  });

  it('does not retry a TerminalError, but counts it', async () => {
    const seen = recorder();
    const h = harness({
      reconcile: async (key) => {
        seen.note(key);
        if (key === 'ns/broken') throw new TerminalError('spec.storage names no backend');
      },
    });
    h.registries.put('broken');
    await h.start();
    await seen.until(1);
    h.registries.put('healthy');
    await seen.until(2);
    expect(seen.keys).toEqual(['ns/broken', 'ns/healthy']);
    expect(await h.outcomes()).toEqual({ terminal: 1, success: 1 });
    expect(await h.retries()).toBe(0);
  });

  it('does not retry a TerminalError wrapped as the cause of another error', async () => {
    const seen = recorder();
    const h = harness({
      reconcile: async (key) => {
        seen.note(key);
        throw new Error('applying the claim', { cause: new Error('patch refused', { cause: new TerminalError('spec.storage is invalid') }) });
      },
    });
    h.registries.put('broken');
    await h.start();
    await seen.until(1);
    await settle();
    expect(await h.outcomes()).toEqual({ terminal: 1 });
    expect(await h.retries()).toBe(0);
  });

  it('refuses to read the cache of a target it does not watch, instead of returning a store that never fills', async () => {
    const failures: unknown[] = [];
    const seen = recorder();
    const unwatched: WatchTarget = { resource: { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true } };
    const h = harness({
      reconcile: async (key, context) => {
        try {
          context.cache(unwatched);
        } catch (error) {
          failures.push(error);
        }
        expect(context.cache(owned).size).toBe(0);
        seen.note(key);
      },
    });
    h.registries.put('main');
    await h.start();
    await seen.until(1);
    expect(String(failures[0])).toMatch(/read the cache of secrets, which it does not watch/);
  });

  it('lets a watch mapping find roots through an index of the root cache', async () => {
    const seen = recorder();
    const h = harness({
      watches: [
        {
          target: watched,
          // Registries that list this namespace in data.namespaces, found by index, not by a scan.
          map: (namespace, caches) =>
            caches
              .cache(root)
              .byIndex('by-namespace', namespace.metadata!.name!)
              .map((r) => `ns/${r.metadata!.name}`),
        },
      ],
      indexes: [{ target: root, name: 'by-namespace', keys: (registry) => (registry['data'] as { namespaces?: string })?.namespaces?.split(',') ?? [] }],
      reconcile: async (key) => seen.note(key),
    });
    h.registries.put('a', { namespaces: 'team-x' });
    h.registries.put('b', { namespaces: 'team-y,team-z' });
    await h.start();
    await seen.until(2);
    await settle();
    h.namespaces.put('team-y', {}, { namespace: undefined });
    await seen.until(3);
    await settle();
    expect(seen.keys.slice(2)).toEqual(['ns/b']);
  });

  it('refuses an index on a target the controller does not watch', () => {
    const unwatched: WatchTarget = { resource: { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true } };
    expect(() => harness({ indexes: [{ target: unwatched, name: 'x', keys: () => [] }], reconcile: async () => undefined })).toThrow(/does not watch/);
  });

  it('requeues after the delay a reconcile asks for', async () => {
    const seen = recorder();
    const h = harness({
      reconcile: async (key) => {
        seen.note(key);
        return { requeueAfterMs: 20 };
      },
    });
    h.registries.put('main');
    await h.start();
    await seen.until(3);
    expect(await h.outcomes()).toMatchObject({ requeue: expect.any(Number) });
  });
});
