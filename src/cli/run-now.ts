import { parseArgs } from 'node:util';

export const runNowUsage = `dockyard retention run-now POLICY [-n NAMESPACE] [--kubeconfig FILE]
      Start one retention run of the RetentionPolicy now (sets dockyard.dev/run-now).
  dockyard gc run-now REGISTRY [-n NAMESPACE] [--kubeconfig FILE]
      Start one garbage collection of the Registry now (sets dockyard.dev/collect-garbage-now).`;

const targets = {
  retention: { plural: 'retentionpolicies', kind: 'RetentionPolicy', annotation: 'dockyard.dev/run-now' },
  gc: { plural: 'registries', kind: 'Registry', annotation: 'dockyard.dev/collect-garbage-now' },
} as const;

/** Sets the run-now annotation to a new value (the time), which the operator acts on once. */
export async function runNowCommand(what: keyof typeof targets, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: { namespace: { type: 'string', short: 'n' }, kubeconfig: { type: 'string' } },
  });
  const target = targets[what];
  const [name] = positionals;
  if (name === undefined || positionals.length !== 1) throw new Error(`name one ${target.kind}: ${runNowUsage}`);
  const [{ loadKubeConfig }, { KubeClient }] = await Promise.all([import('../kube-config.ts'), import('../runtime/kube-client.ts')]);
  const kubeConfig = loadKubeConfig(values.kubeconfig);
  const namespace = values.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
  const value = new Date().toISOString();
  await new KubeClient(kubeConfig).patch(
    { group: 'dockyard.dev', version: 'v1alpha1', kind: target.kind, plural: target.plural, namespaced: true },
    { namespace, name },
    'merge',
    { metadata: { annotations: { [target.annotation]: value } } },
  );
  process.stdout.write(
    `${target.kind} ${namespace}/${name}: ${target.annotation}=${value}; kubectl describe ${target.plural} ${name} -n ${namespace} shows what happens\n`,
  );
  return 0;
}
