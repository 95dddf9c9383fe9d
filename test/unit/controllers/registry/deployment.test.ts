import type { V1Container, V1Deployment, V1Volume } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { defaultRegistryImage } from '../../../../src/api/v1alpha1/registry.ts';
import { configChecksumAnnotation, registryDeployment } from '../../../../src/controllers/registry/builders/deployment.ts';
import { containerNames, registryNameLabel } from '../../../../src/controllers/common/registry-children.ts';
import { authSecretKeys, frontPort, frontPortName, healthPath, livenessPath, paths } from '../../../../src/registry-auth/pod-contract.ts';
import { deploymentInputs, registry, registryUid, sampleRegistry } from '../../../support/registries.ts';

function container(deployment: V1Deployment, name: string): V1Container {
  const found = deployment.spec?.template.spec?.containers.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
}

function volume(deployment: V1Deployment, name: string): V1Volume | undefined {
  return deployment.spec?.template.spec?.volumes?.find((candidate) => candidate.name === name);
}

/** Where each volume is mounted in a container: mountPath -> volume name. */
function mounts(deployment: V1Deployment, name: string): Record<string, string> {
  return Object.fromEntries((container(deployment, name).volumeMounts ?? []).map((mount) => [mount.mountPath, mount.name]));
}

describe('registryDeployment for the DESIGN.md example (manifests/samples/registry-pvc.yaml)', () => {
  const deployment = registryDeployment(sampleRegistry('registry-pvc.yaml'), deploymentInputs);

  it('is named after the Registry and controlled by it, so it is garbage-collected with it', () => {
    expect(deployment.metadata).toMatchObject({ name: 'main-registry', namespace: 'team-a' });
    expect(deployment.metadata?.ownerReferences).toEqual([
      { apiVersion: 'dockyard.dev/v1alpha1', kind: 'Registry', name: 'main', uid: registryUid, controller: true, blockOwnerDeletion: true },
    ]);
  });

  it('selects its Pods by registry and component only (selectors are immutable), and the Pods carry those labels', () => {
    const selector = deployment.spec?.selector.matchLabels;
    expect(selector).toEqual({ [registryNameLabel]: 'main', 'app.kubernetes.io/component': 'registry' });
    expect(deployment.spec?.template.metadata?.labels).toMatchObject({ ...selector, 'app.kubernetes.io/instance': 'main' });
  });

  it('runs the default image with one replica, as the operator (not the schema) defaults them', () => {
    expect(deployment.spec?.replicas).toBe(1);
    expect(container(deployment, containerNames.registry).image).toBe(defaultRegistryImage);
  });

  it('replaces Pods with Recreate, because a ReadWriteOnce claim cannot be attached to a surge Pod', () => {
    expect(deployment.spec?.strategy).toEqual({ type: 'Recreate' });
  });

  it('starts distribution with `serve <config file>`, which both the 2.8 and 3.x entrypoints accept', () => {
    expect(container(deployment, containerNames.registry).args).toEqual(['serve', paths.configFile]);
    expect(container(deployment, containerNames.registry).command).toBeUndefined();
  });

  it('runs the auth server from the operator image as the only container with a port', () => {
    const auth = container(deployment, containerNames.auth);
    expect(auth.image).toBe(deploymentInputs.operatorImage);
    expect(auth.args).toEqual(deploymentInputs.authContainerArgs);
    expect(auth.ports).toEqual([{ name: frontPortName, containerPort: frontPort, protocol: 'TCP' }]);
    expect(container(deployment, containerNames.registry).ports).toBeUndefined();
  });

  it('passes the given environment to the registry container only', () => {
    expect(container(deployment, containerNames.registry).env).toEqual(deploymentInputs.registryEnv);
    expect(container(deployment, containerNames.auth).env).toBeUndefined();
  });

  it('puts the config checksum on the Pod template, so a config change rolls the Pods', () => {
    expect(deployment.spec?.template.metadata?.annotations?.[configChecksumAnnotation]).toBe(deploymentInputs.configChecksum);
    const changed = registryDeployment(sampleRegistry('registry-pvc.yaml'), { ...deploymentInputs, configChecksum: 'other' });
    expect(changed.spec?.template.metadata?.annotations?.[configChecksumAnnotation]).toBe('other');
  });

  it('runs non-root with a writable claim (fsGroup) and the RuntimeDefault seccomp profile', () => {
    expect(deployment.spec?.template.spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      fsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it.each([containerNames.registry, containerNames.auth])('locks down the %s container: read-only root, no escalation, no capabilities', (name) => {
    expect(container(deployment, name).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('gives the Pod no service account token and no service link variables (distribution reads REGISTRY_*)', () => {
    expect(deployment.spec?.template.spec).toMatchObject({ automountServiceAccountToken: false, enableServiceLinks: false });
  });

  it('mounts config, token certificate, claim and /tmp into the registry container, and no signing key', () => {
    expect(mounts(deployment, containerNames.registry)).toEqual({
      [paths.configDir]: 'config',
      [paths.tokenCertificateDir]: 'token-certificate',
      [paths.storage]: 'storage',
      [paths.tmp]: 'registry-tmp',
    });
    expect(volume(deployment, 'config')?.secret?.secretName).toBe('main-registry-config');
    expect(volume(deployment, 'storage')?.persistentVolumeClaim).toEqual({ claimName: 'main-registry-data' });
    // Only the certificate item: the registry container never sees the token signing key.
    expect(volume(deployment, 'token-certificate')?.secret).toMatchObject({
      secretName: 'main-registry-auth',
      items: [{ key: authSecretKeys.signingCertificate, path: 'token-signing.crt' }],
    });
    expect(`${paths.tokenCertificateDir}/token-signing.crt`).toBe(paths.tokenCertificateFile);
  });

  it('mounts the whole auth Secret, its own /tmp and the storage (for the push records) into the auth container, and no TLS without spec.tls', () => {
    expect(mounts(deployment, containerNames.auth)).toEqual({ [paths.authDir]: 'auth', [paths.tmp]: 'auth-tmp', [paths.storage]: 'storage' });
    expect(paths.pushRecords.startsWith(`${paths.storage}/`)).toBe(true);
    expect(volume(deployment, 'auth')?.secret?.secretName).toBe('main-registry-auth');
    expect(volume(deployment, 'tls')).toBeUndefined();
  });

  it('probes the auth container on its health path (not /v2/, which answers 401 under token auth), and liveness on its own', () => {
    const auth = container(deployment, containerNames.auth);
    for (const probe of [auth.startupProbe, auth.readinessProbe]) {
      expect(probe?.httpGet).toEqual({ path: healthPath, port: frontPortName, scheme: 'HTTP' });
    }
    // Liveness must not include distribution: restarting the auth container cannot mend it.
    expect(auth.livenessProbe?.httpGet).toEqual({ path: livenessPath, port: frontPortName, scheme: 'HTTP' });
    // The startup probe gives a slow first start minutes, not the liveness probe's one.
    expect((auth.startupProbe?.periodSeconds ?? 0) * (auth.startupProbe?.failureThreshold ?? 0)).toBeGreaterThanOrEqual(120);
  });

  it('gives the auth container modest resources and the registry container none it was not asked for', () => {
    expect(container(deployment, containerNames.auth).resources).toMatchObject({ requests: { cpu: '10m', memory: '80Mi' }, limits: { memory: '256Mi' } });
    expect(container(deployment, containerNames.registry).resources).toBeUndefined();
  });
});

describe('registryDeployment variants', () => {
  it('rolls one Pod at a time without downtime on s3, with the replicas, image and placement asked for', () => {
    const shared = sampleRegistry('registry-s3.yaml');
    const deployment = registryDeployment(shared, deploymentInputs);
    expect(deployment.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(deployment.spec?.replicas).toBe(2);
    expect(container(deployment, containerNames.registry).image).toBe('docker.io/library/registry:3.0.0');
    expect(mounts(deployment, containerNames.registry)[paths.storage]).toBeUndefined();
    expect(volume(deployment, 'storage')).toBeUndefined();
    const pod = deployment.spec?.template.spec;
    expect(pod?.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod?.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }]);
    expect(pod?.affinity).toEqual(shared.spec.placement?.affinity);
  });

  it('serves TLS from the cert-manager Secret: mounted into the auth container, probed over HTTPS', () => {
    const deployment = registryDeployment(sampleRegistry('registry-s3.yaml'), deploymentInputs);
    expect(mounts(deployment, containerNames.auth)[paths.tlsDir]).toBe('tls');
    // No storage volume on s3: the push records get an emptyDir of their own, in the same place.
    expect(mounts(deployment, containerNames.auth)[paths.storage]).toBe('push-records');
    expect(volume(deployment, 'push-records')?.emptyDir).toEqual({});
    expect(volume(deployment, 'tls')?.secret?.secretName).toBe('shared-registry-tls');
    expect(container(deployment, containerNames.auth).readinessProbe?.httpGet?.scheme).toBe('HTTPS');
  });

  it('mounts a user TLS Secret by its name', () => {
    const deployment = registryDeployment(registry({ storage: { emptyDir: {} }, tls: { secretName: 'my-cert' } }), deploymentInputs);
    expect(volume(deployment, 'tls')?.secret?.secretName).toBe('my-cert');
  });

  it('uses an emptyDir with the asked medium and canonical size limit, and rolls without downtime', () => {
    const deployment = registryDeployment(registry({ storage: { emptyDir: { medium: 'Memory', sizeLimit: '1024Mi' } } }), deploymentInputs);
    expect(volume(deployment, 'storage')?.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Gi' });
    expect(deployment.spec?.strategy?.type).toBe('RollingUpdate');
    const disk = registryDeployment(registry({ storage: { emptyDir: {} } }), deploymentInputs);
    expect(volume(disk, 'storage')?.emptyDir).toEqual({});
  });

  it('rolls without downtime on a ReadWriteMany claim, which several Pods can share', () => {
    const deployment = registryDeployment(
      registry({ replicas: 2, storage: { persistentVolumeClaim: { size: '1Gi', accessMode: 'ReadWriteMany' } } }),
      deploymentInputs,
    );
    expect(deployment.spec?.strategy?.type).toBe('RollingUpdate');
  });

  it('copies spec.resources to the registry container in canonical form, leaving unset members out', () => {
    const deployment = registryDeployment(
      registry({ storage: { emptyDir: {} }, resources: { requests: { cpu: '0.5' }, limits: { memory: '2048Mi' } } }),
      deploymentInputs,
    );
    expect(container(deployment, containerNames.registry).resources).toEqual({ requests: { cpu: '500m' }, limits: { memory: '2Gi' } });
  });

  it('declares no empty placement fields (the apiserver would drop them and every apply would look like a change)', () => {
    const pod = registryDeployment(registry({ storage: { emptyDir: {} }, placement: { nodeSelector: {}, tolerations: [] } }), deploymentInputs).spec?.template
      .spec;
    expect(pod).not.toHaveProperty('nodeSelector');
    expect(pod).not.toHaveProperty('tolerations');
    expect(pod).not.toHaveProperty('affinity');
  });
});
