import { RetentionPolicySpec } from '../../../src/api/v1alpha1/retention-policy.ts';
import type { RetentionRules } from '../../../src/retention/evaluate.ts';
import type { ManifestSnapshot, RepositorySnapshot, TagSnapshot } from '../../../src/retention/snapshot.ts';

export const hour = 3_600_000;
export const day = 24 * hour;
export const now = Date.parse('2026-12-01T12:00:00Z');

/** A digest made from a readable name, so tests can say `digest('web-1')`. */
export function digest(name: string): string {
  let hex = '';
  for (const char of name) hex += char.charCodeAt(0).toString(16).padStart(2, '0');
  return `sha256:${hex.padEnd(64, '0').slice(0, 64)}`;
}

/** The cosign signature tag of the manifest `name`. */
export function signatureTag(name: string): string {
  return `${digest(name).replace(':', '-')}.sig`;
}

export const imageType = 'application/vnd.oci.image.manifest.v1+json';
export const indexType = 'application/vnd.oci.image.index.v1+json';

export function image(name: string, extra: Partial<ManifestSnapshot> = {}): ManifestSnapshot {
  return { digest: digest(name), mediaType: imageType, size: 1000, ...extra };
}

export function index(name: string, children: string[], extra: Partial<ManifestSnapshot> = {}): ManifestSnapshot {
  return { digest: digest(name), mediaType: indexType, size: 500, children: children.map(digest), ...extra };
}

export function tag(name: string, manifest: string, pushedDaysAgo?: number, extra: Partial<TagSnapshot> = {}): TagSnapshot {
  return { name, digest: digest(manifest), ...(pushedDaysAgo === undefined ? {} : { pushedAt: now - pushedDaysAgo * day }), ...extra };
}

export function repository(name: string, tags: TagSnapshot[], manifests: ManifestSnapshot[]): RepositorySnapshot {
  return { name, tags, manifests };
}

/** A policy as the apiserver stores it: parsed by the CRD's schema, defaults applied. */
export function policy(spec: Partial<Record<keyof RetentionRules, unknown>>): RetentionRules {
  return RetentionPolicySpec.parse({ registryRef: { name: 'main' }, schedule: '@daily', repositories: ['**'], minTagsPerRepository: 0, ...spec });
}
