import type { V1Secret } from '@kubernetes/client-node';
import type { Registry } from '../../api/v1alpha1/registry.ts';
import type { Credential } from '../../registry-auth/credential-plan.ts';
import { credentialSecretData, credentialSecretType, readCredentialSecret } from '../../registry-auth/credential-secret.ts';
import type { ReconcileContext, ReconcileResult } from '../../runtime/controller.ts';
import { unlessNotFound } from '../../runtime/errors.ts';
import type { KubeObject } from '../../runtime/resource.ts';
import { secretText } from '../../runtime/secret-data.ts';
import { endpoints } from '../common/registry-endpoints.ts';
import { childMetadata, components, registryIdentity, type ChildObject } from './builders/metadata.ts';
import { pullSecretName } from './builders/pull-secret.ts';
import { distributePullSecrets, removeCopies, serviceAccountsAnnotations, type FanOutResult } from './fan-out.ts';
import { childNames } from '../common/registry-children.ts';
import type { RegistryControllerOptions } from './options.ts';
import { composeStatus } from './status/compose.ts';
import { deriveExternalStatus, type ExternalObservation } from './status/external.ts';
import { recordChanges } from './registry-events.ts';
import { resources } from './resources.ts';
import { probeExternalRegistry, type ProbeResult } from '../../oci/probe.ts';

/** A reachable registry is checked again after this long; an unreachable one sooner. */
const recheckReadyMs = 5 * 60_000;
const recheckFailingMs = 30_000;

/**
 * A registry that runs elsewhere: nothing is deployed. Its credentials (when it has any) become
 * the pull Secret, fanned out like a managed registry's, and the status says whether a client
 * with those credentials gets through, with the HTTP status when it does not.
 */
export async function reconcileExternalRegistry(
  registry: Registry,
  context: ReconcileContext<KubeObject>,
  options: RegistryControllerOptions,
): Promise<ReconcileResult> {
  const external = registry.spec.external!;
  const { namespace } = registryIdentity(registry);
  const { endpoint, hosts } = endpoints(registry);
  const secretRef = external.credentialsSecretRef?.name;
  const credential = secretRef === undefined ? undefined : await readCredential(context, namespace, secretRef);
  const ca = external.caBundleRef === undefined ? undefined : await readKey(context, namespace, external.caBundleRef);

  const missingSecret = secretRef !== undefined && credential === undefined;
  const probe: ProbeResult | undefined = missingSecret ? undefined : await probeExternalRegistry(external.url, credential, ca);
  let fanOut: FanOutResult | undefined;
  if (credential !== undefined) {
    const source: ChildObject<V1Secret> = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: credentialSecretType,
      metadata: childMetadata(registry, {
        name: childNames(registry.metadata.name!).pull,
        component: components.pullSecret,
        ...(serviceAccountsAnnotations(registry) ? { annotations: serviceAccountsAnnotations(registry)! } : {}),
      }),
      data: credentialSecretData({ published: credential }, hosts),
    };
    const written = (await context.apply(resources.secrets, source)).written ? [`Secret ${source.metadata?.name}`] : [];
    fanOut = await distributePullSecrets(registry, context, options, { credential, hosts });
    recordChanges(context, { written, fanOut });
  } else {
    await removeCopies(registry, context, new Set());
  }

  const observation: ExternalObservation =
    probe === undefined
      ? { kind: 'secret-missing', secretName: secretRef! }
      : probe.reachable
        ? { kind: 'probed', reachable: true, message: probe.message }
        : { kind: 'probed', reachable: false, reason: probe.reason as 'Unreachable' | 'Unauthorized' | 'UnexpectedStatus', message: probe.message };
  const { phase, conditions } = deriveExternalStatus(observation);
  await context.writeStatus(
    composeStatus(registry, { phase, endpoint, readyReplicas: 0 }, conditions, {
      plan: fanOut?.plan,
      secretName: fanOut ? pullSecretName(registry) : undefined,
    }),
  );
  // Reachability is no event the cluster sends: look again on a timer.
  return { requeueAfterMs: phase === 'Ready' ? recheckReadyMs : recheckFailingMs };
}

/** The username and password of a user's Secret: the keys the operator's own credential Secrets use. */
async function readCredential(context: ReconcileContext<KubeObject>, namespace: string, name: string): Promise<Credential | undefined> {
  return readCredentialSecret((await getSecret(context, namespace, name))?.data).published;
}

async function readKey(
  context: ReconcileContext<KubeObject>,
  namespace: string,
  ref: { kind: string; name: string; key: string },
): Promise<string | undefined> {
  if (ref.kind === 'Secret') {
    return secretText((await getSecret(context, namespace, ref.name))?.data, ref.key);
  }
  const configMapResource = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
  const configMap = await unlessNotFound(
    context.client.get<KubeObject & { data?: Record<string, string> }>(configMapResource, { namespace, name: ref.name }, context.signal),
  );
  return configMap?.data?.[ref.key];
}

function getSecret(context: ReconcileContext<KubeObject>, namespace: string, name: string): Promise<(V1Secret & KubeObject) | undefined> {
  return unlessNotFound(context.client.get<V1Secret & KubeObject>(resources.secrets, { namespace, name }, context.signal));
}
