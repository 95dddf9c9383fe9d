import { posix } from 'node:path';
import type {
  V1Affinity,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1PodSpec,
  V1Probe,
  V1ResourceRequirements,
  V1TopologySpreadConstraint,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { defaultRegistryImage, defaultReplicas, type Registry } from '../../../api/v1alpha1/registry.ts';
import { childNames, containerNames } from '../../common/registry-children.ts';
import { authSecretKeys, frontPort, frontPortName, healthPath, livenessPath, paths } from '../../../registry-auth/pod-contract.ts';
import { tlsSecretName } from './certificate.ts';
import { childLabels, childMetadata, type ChildObject, components, registryIdentity, selectorLabels } from './metadata.ts';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../common/pod-security.ts';
import { canonicalQuantity } from './quantity.ts';
import { rolloutStrategy, sharedStorage, storageVolume, storageVolumeName } from './storage.ts';

/**
 * A hash of what the Pods read only when they start: config.yml, and the values that reach the
 * containers through env (secretKeyRef is resolved at container start). A new value changes the
 * Pod template, which rolls the Pods. Leave out what the auth server re-reads on its own (the
 * identities, the TLS files): hashing those would restart the registry at every credential
 * rotation and certificate renewal.
 */
export const configChecksumAnnotation = 'dockyard.dev/config-checksum';

/** What the Deployment needs from the config renderer and the auth server, which build it elsewhere. */
export interface RegistryDeploymentInputs {
  /** The Dockyard operator image, which runs `dockyard auth-server` beside distribution. */
  operatorImage: string;
  /** The auth container's args, starting with the subcommand: authServerArgs() of src/auth-server/options.ts. */
  authContainerArgs: string[];
  /** Environment of the registry container (registryEnvironment() of config.ts, as secretKeyRef env vars). */
  registryEnv: V1EnvVar[];
  /** Environment of the auth container, if it needs any. */
  authEnv?: V1EnvVar[];
  /** See configChecksumAnnotation. */
  configChecksum: string;
}

/**
 * The auth container's modest needs: it checks credentials, signs tokens and streams bytes. The
 * request covers what it was measured to hold idle (69 MiB, the bundled image's entry point), so
 * the scheduler does not place more on a node than fits.
 */
export const authContainerResources: V1ResourceRequirements = {
  requests: { cpu: '10m', memory: '80Mi' },
  limits: { memory: '256Mi' },
};

const volumeNames = {
  config: 'config',
  tokenCertificate: 'token-certificate',
  auth: 'auth',
  tls: 'tls',
  registryTmp: 'registry-tmp',
  authTmp: 'auth-tmp',
  /** Where the door keeps its push records when the images are on s3 (see paths.pushRecords). */
  authRecords: 'push-records',
} as const;

/** Secret files readable by the Pod's group (fsGroup) only, not by every user of the container. */
const secretFileMode = 0o440;

/**
 * The registry Deployment: distribution on 127.0.0.1:5001 and, in front of it, the auth container
 * on port 5000, the only door of the Pod (see registry-auth/pod-contract.ts).
 */
export function registryDeployment(registry: Registry, inputs: RegistryDeploymentInputs): ChildObject<V1Deployment> {
  const { name } = registryIdentity(registry);
  const names = childNames(name);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(registry, { name: names.workload, component: components.registry }),
    spec: {
      replicas: registry.spec.replicas ?? defaultReplicas,
      selector: { matchLabels: selectorLabels(registry, components.registry) },
      strategy: rolloutStrategy(registry),
      template: {
        metadata: {
          labels: childLabels(registry, components.registry),
          annotations: {
            [configChecksumAnnotation]: inputs.configChecksum,
            // `kubectl logs` and `kubectl exec` without -c mean the registry.
            'kubectl.kubernetes.io/default-container': containerNames.registry,
          },
        },
        spec: registryPodSpec(registry, inputs),
      },
    },
  };
}

function registryPodSpec(registry: Registry, inputs: RegistryDeploymentInputs): V1PodSpec {
  const placement = registry.spec.placement;
  return {
    securityContext: restrictedPodSecurityContext(),
    // The Pod never talks to the Kubernetes API, so it gets no token to leak.
    automountServiceAccountToken: false,
    // Service links would put variables like REGISTRY_PORT into the environment, and distribution
    // reads every REGISTRY_* variable as a configuration override.
    enableServiceLinks: false,
    containers: [registryContainer(registry, inputs), authContainer(registry, inputs)],
    volumes: podVolumes(registry),
    ...(placement?.nodeSelector !== undefined && Object.keys(placement.nodeSelector).length > 0 ? { nodeSelector: placement.nodeSelector } : {}),
    ...(placement?.tolerations !== undefined && placement.tolerations.length > 0 ? { tolerations: placement.tolerations } : {}),
    ...(sharedStorage(registry) ? { topologySpreadConstraints: [spreadOverNodes(registry)] } : {}),
    // Validated by the apiserver where it lands; the schema keeps it as written.
    ...(placement?.affinity !== undefined ? { affinity: placement.affinity as V1Affinity } : {}),
  };
}

/**
 * Replicas on shared storage spread over nodes, so one node going down leaves the others
 * serving. A preference, not a rule (ScheduleAnyway): on a cluster with fewer nodes than
 * replicas, every replica still runs. Set whatever the replica count, so that scaling up adds
 * Pods instead of also replacing the ones that run.
 */
function spreadOverNodes(registry: Registry): V1TopologySpreadConstraint {
  return {
    maxSkew: 1,
    topologyKey: 'kubernetes.io/hostname',
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selectorLabels(registry, components.registry) },
  };
}

function registryContainer(registry: Registry, inputs: RegistryDeploymentInputs): V1Container {
  const storage = storageVolume(registry);
  const mounts: V1VolumeMount[] = [
    { name: volumeNames.config, mountPath: paths.configDir, readOnly: true },
    { name: volumeNames.tokenCertificate, mountPath: paths.tokenCertificateDir, readOnly: true },
    ...(storage !== undefined ? [{ name: storageVolumeName, mountPath: paths.storage }] : []),
    { name: volumeNames.registryTmp, mountPath: paths.tmp },
  ];
  const resources = userResources(registry);
  return {
    name: containerNames.registry,
    image: registry.spec.image ?? defaultRegistryImage,
    // Both official images (2.8 and 3.x) start /entrypoint.sh, which turns `serve <file>` into
    // `registry serve <file>`, so the image's entrypoint stays and only its arguments change.
    args: ['serve', paths.configFile],
    ...(inputs.registryEnv.length > 0 ? { env: inputs.registryEnv } : {}),
    // No ports and no probes: distribution listens on 127.0.0.1 only, where the kubelet cannot
    // reach it. The auth container's probe covers it (its health check asks distribution).
    ...(resources !== undefined ? { resources } : {}),
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: mounts,
  };
}

function authContainer(registry: Registry, inputs: RegistryDeploymentInputs): V1Container {
  const tls = registry.spec.tls !== undefined;
  return {
    name: containerNames.auth,
    image: inputs.operatorImage,
    args: inputs.authContainerArgs,
    ...(inputs.authEnv !== undefined && inputs.authEnv.length > 0 ? { env: inputs.authEnv } : {}),
    ports: [{ name: frontPortName, containerPort: frontPort, protocol: 'TCP' }],
    ...authProbes(tls),
    resources: authContainerResources,
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [
      { name: volumeNames.auth, mountPath: paths.authDir, readOnly: true },
      ...(tls ? [{ name: volumeNames.tls, mountPath: paths.tlsDir, readOnly: true }] : []),
      { name: volumeNames.authTmp, mountPath: paths.tmp },
      // The push records live in the storage volume (paths.pushRecords), mounted where the
      // registry container has it; on s3, in an emptyDir that outlives container restarts only.
      { name: storageVolume(registry) !== undefined ? storageVolumeName : volumeNames.authRecords, mountPath: paths.storage },
    ],
  };
}

/**
 * Probes go to the auth container's healthPath, not to distribution's /v2/: with token
 * authentication /v2/ answers 401 to anyone without a token (a probe would need credentials, and
 * an httpGet probe counts 401 as failure), and distribution listens on loopback, out of the
 * kubelet's reach. The auth server's /healthz answers 200 only when it runs and /v2/ behind it
 * answers, so one probe covers both containers.
 *
 * - startup: up to 3 minutes for a first start (an S3 driver's first requests, a large volume);
 *   liveness and readiness wait for it, so a slow start is not killed.
 * - readiness: takes the Pod out of the Service within ~10 s when either container stops answering.
 * - liveness: restarts the auth container after a minute without answers on livenessPath, which
 *   checks the auth server alone: restarting it cannot mend distribution, so an outage of
 *   distribution only takes the Pod out of the Service (readiness).
 */
function authProbes(tls: boolean): { startupProbe: V1Probe; readinessProbe: V1Probe; livenessProbe: V1Probe } {
  const scheme = tls ? 'HTTPS' : 'HTTP';
  const httpGet = { path: healthPath, port: frontPortName, scheme };
  return {
    startupProbe: { httpGet, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 90 },
    readinessProbe: { httpGet, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
    livenessProbe: { httpGet: { path: livenessPath, port: frontPortName, scheme }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
  };
}

function podVolumes(registry: Registry): V1Volume[] {
  const names = childNames(registryIdentity(registry).name);
  const tlsSecret = tlsSecretName(registry);
  const storage = storageVolume(registry);
  // Whole Secret volumes, never subPath mounts: the kubelet updates those in place, which is how
  // rotated identities and renewed certificates reach the auth server without a restart.
  return [
    { name: volumeNames.config, secret: { secretName: names.config, defaultMode: secretFileMode } },
    // distribution needs the certificate that verifies tokens, never the key that signs them.
    {
      name: volumeNames.tokenCertificate,
      secret: {
        secretName: names.auth,
        defaultMode: secretFileMode,
        items: [{ key: authSecretKeys.signingCertificate, path: posix.relative(paths.tokenCertificateDir, paths.tokenCertificateFile) }],
      },
    },
    { name: volumeNames.auth, secret: { secretName: names.auth, defaultMode: secretFileMode } },
    ...(tlsSecret !== undefined ? [{ name: volumeNames.tls, secret: { secretName: tlsSecret, defaultMode: secretFileMode } }] : []),
    ...(storage !== undefined ? [storage] : []),
    // readOnlyRootFilesystem leaves /tmp as the only scratch space; one per container, unshared.
    { name: volumeNames.registryTmp, emptyDir: {} },
    { name: volumeNames.authTmp, emptyDir: {} },
    ...(storage === undefined ? [{ name: volumeNames.authRecords, emptyDir: {} }] : []),
  ];
}

/** spec.resources in the apiserver's canonical form, without the unset members. */
function userResources(registry: Registry): V1ResourceRequirements | undefined {
  const resources = registry.spec.resources;
  if (resources === undefined) return undefined;
  const requests = definedEntries(resources.requests);
  const limits = definedEntries(resources.limits);
  if (requests === undefined && limits === undefined) return undefined;
  return { ...(requests !== undefined ? { requests } : {}), ...(limits !== undefined ? { limits } : {}) };
}

function definedEntries(map: Record<string, string | number | undefined> | undefined): Record<string, string> | undefined {
  const entries = Object.entries(map ?? {}).flatMap(([key, value]) => (value !== undefined ? [[key, canonicalQuantity(value)] as const] : []));
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}
