import { z } from 'zod';
import { immutable, withTransitionRules } from '../validation-rule.ts';
import { Conditions, ObservedGeneration, RegistryReference } from './common.ts';
import { RepositoryName, Timestamp } from './formats.ts';
import { ageColumn, resourceSchema, type KindDefinition } from './resource.ts';

export const ImageRepositorySpec = z.strictObject({
  registryRef: withTransitionRules(RegistryReference, [immutable('registryRef is immutable: create a new ImageRepository instead')]).describe(
    'The Registry that holds the repository, in the same namespace. Cannot change.',
  ),
  repository: withTransitionRules(RepositoryName, [immutable('repository is immutable: create a new ImageRepository instead')]).describe(
    'Path of the repository in the registry, per the OCI name grammar, such as apps/web. Cannot change.',
  ),
});
export type ImageRepositorySpec = z.output<typeof ImageRepositorySpec>;

const RecentTag = z.strictObject({
  tag: z.string().max(128).describe('Name of the tag.'),
  digest: z.string().max(128).describe('Digest of the manifest the tag points at.'),
  pushedAt: Timestamp.optional().describe('When the tag was pushed, where known.'),
});

const ImageRepositoryStatus = z.strictObject({
  observedGeneration: ObservedGeneration.optional(),
  conditions: Conditions.optional(),
  tagCount: z.int().min(0).optional().describe('Number of tags in the repository.'),
  sizeBytes: z.int().min(0).optional().describe('Bytes of the layers and manifests the tags reference, each counted once.'),
  lastPushTime: Timestamp.optional().describe('When a tag was last pushed, where known.'),
  recentTags: z.array(RecentTag).max(10).optional().describe('The most recently pushed tags, newest first.'),
});
export type ImageRepositoryStatus = z.output<typeof ImageRepositoryStatus>;

export const imageRepositoryKind = {
  kind: 'ImageRepository',
  plural: 'imagerepositories',
  singular: 'imagerepository',
  shortNames: ['imgrepo'],
  description: 'One repository path in a Registry of the same namespace: declares it and reports its tags, size and last push.',
  spec: ImageRepositorySpec,
  status: ImageRepositoryStatus,
  printerColumns: [
    { name: 'Registry', type: 'string', jsonPath: '.spec.registryRef.name', description: 'The Registry that holds the repository.' },
    { name: 'Repository', type: 'string', jsonPath: '.spec.repository', description: 'Path of the repository.', priority: 1 },
    { name: 'Tags', type: 'integer', jsonPath: '.status.tagCount', description: 'Number of tags.' },
    { name: 'Last Push', type: 'date', jsonPath: '.status.lastPushTime', description: 'When a tag was last pushed.' },
    ageColumn,
  ],
} satisfies KindDefinition<typeof ImageRepositorySpec, typeof ImageRepositoryStatus>;

const ImageRepository = resourceSchema(imageRepositoryKind);
export type ImageRepository = z.output<typeof ImageRepository>;
