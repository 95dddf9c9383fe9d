/**
 * The names and labels of what Dockyard creates for a Registry. The Registry controller builds
 * these objects; the RetentionPolicy, garbage-collection and ImageRepository code find them here
 * (the maintainer Secret their jobs use, the Service they reach), without importing the Registry
 * controller.
 */

/** The label every child carries, so a Registry's objects are found by selector. */
export const registryNameLabel = 'dockyard.dev/registry';
export const componentLabel = 'app.kubernetes.io/component';
export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedBy = 'dockyard';

/** Child object names, all derived from the Registry's name (max 63 characters with suffixes). */
export function childNames(registryName: string) {
  const base = `${registryName}-registry`;
  return {
    /** Deployment and Service. */
    workload: base,
    /** Secret with config.yml: no credentials inside (they come from env), but a Secret all the same. */
    config: `${base}-config`,
    /** Secret for the auth container: token signing key and certificate, hashed credentials. */
    auth: `${base}-auth`,
    /** Secret with the push identity, for the owning namespace's CI. */
    push: `${registryName}-push`,
    /** Secret with the pull identity (kubernetes.io/dockerconfigjson); the source of the fan-out. */
    pull: `${registryName}-pull`,
    /** Secret with Dockyard's own identity (delete scope) for retention and status jobs. Never fanned out. */
    maintainer: `${base}-maintainer`,
    claim: `${base}-data`,
    nodeProxy: `${base}-node-proxy`,
    ingress: base,
    certificate: `${base}-tls`,
  };
}

export const containerNames = { registry: 'registry', auth: 'auth', nodeProxy: 'node-proxy', collector: 'collector' } as const;

/** The phases of a garbage collection that run the collector in a Job of their own. */
export type CollectorPhase = 'dry-run' | 'collect';

/**
 * The collector Job of one phase of one run: `<registry>-gc-<run>-<phase>`. `run` is a short id
 * (at most 10 characters) unique among the registry's runs, so a run's Jobs are found again
 * after an operator restart and two runs never share a Job.
 */
export function collectorJobName(registryName: string, run: string, phase: CollectorPhase): string {
  return `${registryName}-gc-${run}-${phase === 'dry-run' ? 'dry' : 'sweep'}`;
}

/** Labels of a collector Job and its Pod besides the registry's: which run, which phase. */
export const collectorRunLabel = 'dockyard.dev/gc-run';
export const collectorPhaseLabel = 'dockyard.dev/gc-phase';
