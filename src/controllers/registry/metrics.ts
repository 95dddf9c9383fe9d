import { Registry } from '../../api/v1alpha1/registry.ts';
import { durationMilliseconds } from '../../api/v1alpha1/duration.ts';
import { readAuthSecret } from '../../registry-auth/auth-secret.ts';
import type { CacheGauge, CacheReader } from '../../runtime/controller.ts';
import type { GaugeSample } from '../../runtime/metrics.ts';
import type { KubeObject } from '../../runtime/resource.ts';
import { childNames, registryNameLabel } from '../common/registry-children.ts';
import { targets } from './resources.ts';
import { garbageCollectionGauges } from './garbage-collection/metrics.ts';

interface CachedCondition {
  type?: unknown;
  status?: unknown;
  reason?: unknown;
}

/** Cached objects are the apiserver's JSON, unparsed: read the conditions defensively. */
function conditionsOf(registry: KubeObject): CachedCondition[] {
  const conditions = (registry as { status?: { conditions?: unknown } }).status?.conditions;
  return Array.isArray(conditions) ? conditions.filter((condition): condition is CachedCondition => typeof condition === 'object' && condition !== null) : [];
}

function identityOf(object: KubeObject): { namespace: string; registry: string } {
  return { namespace: object.metadata?.namespace ?? '', registry: object.metadata?.name ?? '' };
}

/**
 * Registry metrics, read from the cache at scrape time like the retention ones: the status is the
 * record, so an alert cannot disagree with `kubectl get registry`, and a Registry's series go when
 * it goes. Labels are the Registry's namespace and name; no value here is ever a credential.
 */
export function registryGauges(): CacheGauge[] {
  return [
    {
      name: 'dockyard_registry_condition',
      help: 'Conditions of each Registry: 1 per condition type, with its current status and reason as labels (as kubectl get registry shows them).',
      labelNames: ['namespace', 'registry', 'type', 'status', 'reason'],
      samples: (caches) => conditionSamples(caches),
    },
    {
      name: 'dockyard_registry_storage_claim_info',
      help: "1 for each storage claim of a Registry, so the kubelet's volume statistics (by namespace and persistentvolumeclaim) can be joined to the Registry.",
      labelNames: ['namespace', 'registry', 'persistentvolumeclaim'],
      samples: (caches) => claimSamples(caches),
    },
    {
      name: 'dockyard_registry_credential_published_timestamp_seconds',
      help: "When the credential a Registry's role Secret hands out now was published, as Unix time, by role (pull, push, maintainer).",
      labelNames: ['namespace', 'registry', 'role'],
      samples: (caches) => publishedCredentialSamples(caches),
    },
    {
      name: 'dockyard_registry_credential_rotation_period_seconds',
      help: 'How often a Registry rotates its generated credentials (spec.auth.credentialRotation.period); no series while rotation is off.',
      labelNames: ['namespace', 'registry'],
      samples: (caches) => rotationPeriodSamples(caches),
    },
    ...garbageCollectionGauges(),
  ];
}

function conditionSamples(caches: CacheReader): GaugeSample[] {
  const samples: GaugeSample[] = [];
  for (const registry of caches.cache(targets.registries).list()) {
    for (const condition of conditionsOf(registry)) {
      if (typeof condition.type !== 'string' || typeof condition.status !== 'string') continue;
      const reason = typeof condition.reason === 'string' ? condition.reason : '';
      samples.push({ labels: { ...identityOf(registry), type: condition.type, status: condition.status, reason }, value: 1 });
    }
  }
  return samples;
}

function claimSamples(caches: CacheReader): GaugeSample[] {
  const samples: GaugeSample[] = [];
  for (const claim of caches.cache(targets.claims).list()) {
    const registry = claim.metadata?.labels?.[registryNameLabel];
    // Only the claim the Registry's storage uses, not any other object carrying the label.
    if (registry === undefined || claim.metadata?.name !== childNames(registry).claim) continue;
    samples.push({ labels: { namespace: claim.metadata?.namespace ?? '', registry, persistentvolumeclaim: claim.metadata.name }, value: 1 });
  }
  return samples;
}

function publishedCredentialSamples(caches: CacheReader): GaugeSample[] {
  const samples: GaugeSample[] = [];
  const secrets = caches.cache<KubeObject & { data?: Record<string, string> }>(targets.secrets);
  for (const registry of caches.cache(targets.registries).list()) {
    const { namespace, registry: name } = identityOf(registry);
    const identities = readAuthSecret(secrets.get(`${namespace}/${childNames(name).auth}`)?.data).identities?.identities ?? [];
    const latest = new Map<string, number>();
    for (const record of identities) {
      if (record.publishedAt === undefined || record.expiresAt !== undefined) continue;
      const publishedAt = Date.parse(record.publishedAt) / 1000;
      latest.set(record.role, Math.max(latest.get(record.role) ?? 0, publishedAt));
    }
    for (const [role, publishedAt] of latest) samples.push({ labels: { namespace, registry: name, role }, value: publishedAt });
  }
  return samples;
}

function rotationPeriodSamples(caches: CacheReader): GaugeSample[] {
  const samples: GaugeSample[] = [];
  for (const object of caches.cache(targets.registries).list()) {
    // Parsed, not read raw, so the default period applies where the spec leaves it out.
    const parsed = Registry.safeParse(object);
    const period = parsed.success ? parsed.data.spec.auth?.credentialRotation?.period : undefined;
    if (period === undefined) continue;
    samples.push({ labels: identityOf(object), value: durationMilliseconds(period) / 1000 });
  }
  return samples;
}
