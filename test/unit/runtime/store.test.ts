import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyOf, type KubeObject } from '../../../src/runtime/resource.ts';
import { ObjectStore } from '../../../src/runtime/store.ts';

const object = (name: string, labels: string[]): KubeObject => ({
  metadata: { namespace: 'ns', name, labels: Object.fromEntries(labels.map((l) => [l, 'x'])) },
});
const byLabel = (o: KubeObject) => Object.keys(o.metadata?.labels ?? {});

describe('ObjectStore indexes', () => {
  it('finds objects by index after upserts, updates, removals and a relist', () => {
    const store = new ObjectStore<KubeObject>();
    store.upsert(object('a', ['red']));
    store.addIndex('label', byLabel);
    store.upsert(object('b', ['red', 'blue']));
    expect(store.byIndex('label', 'red').map(keyOf).sort()).toEqual(['ns/a', 'ns/b']);
    store.upsert(object('a', ['blue']));
    expect(store.byIndex('label', 'red').map(keyOf)).toEqual(['ns/b']);
    store.remove(object('b', []));
    expect(store.byIndex('label', 'blue').map(keyOf)).toEqual(['ns/a']);
    store.replaceAll([object('c', ['green'])]);
    expect(store.byIndex('label', 'blue')).toEqual([]);
    expect(store.byIndex('label', 'green').map(keyOf)).toEqual(['ns/c']);
  });

  it('throws for an index nobody declared, and for a second declaration with another function', () => {
    const store = new ObjectStore<KubeObject>();
    expect(() => store.byIndex('label', 'red')).toThrow(/no index named "label"/);
    store.addIndex('label', byLabel);
    store.addIndex('label', byLabel);
    expect(() => store.addIndex('label', () => [])).toThrow(/already declared/);
  });

  it('always agrees with a scan of the whole store (property)', () => {
    const operation = fc.oneof(
      fc.record({ op: fc.constant('upsert' as const), name: fc.constantFrom('a', 'b', 'c', 'd'), labels: fc.subarray(['red', 'blue', 'green']) }),
      fc.record({ op: fc.constant('remove' as const), name: fc.constantFrom('a', 'b', 'c', 'd') }),
      fc.record({ op: fc.constant('relist' as const), names: fc.subarray(['a', 'b', 'c', 'd']) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
        const store = new ObjectStore<KubeObject>();
        store.addIndex('label', byLabel);
        for (const step of operations) {
          if (step.op === 'upsert') store.upsert(object(step.name, step.labels));
          else if (step.op === 'remove') store.remove(object(step.name, []));
          else store.replaceAll(step.names.map((name) => object(name, ['red'])));
        }
        for (const label of ['red', 'blue', 'green']) {
          const scanned = store
            .list()
            .filter((o) => byLabel(o).includes(label))
            .map(keyOf)
            .sort();
          expect(store.byIndex('label', label).map(keyOf).sort()).toEqual(scanned);
        }
      }),
    );
  });
});
