import { z } from 'zod';
import { exactlyOneOf, immutable, withRules, withTransitionRules } from '../validation-rule.ts';
import { Conditions, ObservedGeneration, Placement, RegistryReference, ResourceRequirements } from './common.ts';
import { CronSchedule, Duration, ObjectName, RepositoryGlob, TagGlob, TimeZone, Timestamp } from './formats.ts';
import { ageColumn, resourceSchema, type KindDefinition } from './resource.ts';

const keepCriteria = ['mostRecentlyPushed', 'mostRecentlyPulled', 'pushedWithin', 'pulledWithin', 'always'] as const;

const RetentionRule = withRules(
  z.strictObject({
    tags: z
      .array(TagGlob)
      .min(1)
      .max(32)
      .optional()
      .describe('Tags the rule applies to, as globs with * and ? (such as v* or release-*); every tag when omitted.'),
    mostRecentlyPushed: z.int().min(1).max(10000).optional().describe('Keep the N most recently pushed matching tags of each repository.'),
    mostRecentlyPulled: z.int().min(1).max(10000).optional().describe('Keep the N most recently pulled matching tags of each repository.'),
    pushedWithin: Duration.optional().describe('Keep matching tags pushed within this Go duration, such as 720h.'),
    pulledWithin: Duration.optional().describe('Keep matching tags pulled within this Go duration, such as 720h.'),
    always: z.literal(true).optional().describe('Keep every matching tag.'),
  }),
  [exactlyOneOf(keepCriteria)],
);

const RetentionJob = z.strictObject({
  resources: ResourceRequirements.optional().describe('Compute resources of the retention container.'),
  placement: Placement.optional().describe('Where the retention Pods may run.'),
  activeDeadlineSeconds: z.int().min(60).max(86400).optional().describe('Stop a run that takes longer than this many seconds.'),
});

export const RetentionPolicySpec = z.strictObject({
  registryRef: withTransitionRules(RegistryReference, [immutable('registryRef is immutable: create a new RetentionPolicy instead')]).describe(
    'The Registry whose repositories the policy cleans up, in the same namespace. Cannot change.',
  ),
  repositories: z
    .array(RepositoryGlob)
    .min(1)
    .max(64)
    .describe('Repositories the policy applies to, as globs: * and ? within a path component, ** across components (apps/**).'),
  schedule: CronSchedule.describe('When to run, as a cron schedule such as "0 3 * * *" (or a macro such as @daily).'),
  timeZone: TimeZone.optional().describe("IANA time zone of the schedule, such as Europe/Berlin; the kube-controller-manager's zone when omitted."),
  suspend: z.boolean().default(false).describe('Skip scheduled runs while true.'),
  rules: z
    .array(RetentionRule)
    .min(1)
    .max(32)
    .describe(
      'What to keep. A tag is kept when any rule keeps it (keep wins); every other matching tag is deleted. Each rule names ' +
        `exactly one of ${keepCriteria.join(', ')}.`,
    ),
  untaggedManifests: z
    .enum(['Keep', 'Delete'])
    .default('Keep')
    .describe('What to do with manifests no tag points at (other than children of kept indexes and referrers of kept subjects): Keep or Delete.'),
  keepInUse: z.boolean().default(true).describe('Never delete an image that a Pod or Pod template in the cluster references, by tag or by digest.'),
  minTagsPerRepository: z
    .int()
    .min(0)
    .max(1000)
    .default(1)
    .describe('Floor: keep at least this many of the most recently pushed tags of every repository, whatever the rules say.'),
  maxDeletionsPerRun: z
    .int()
    .min(1)
    .max(100000)
    .default(500)
    .describe('Circuit breaker: a run that would delete more than this many manifests deletes nothing and reports why.'),
  dryRun: z.boolean().default(false).describe('Only report what would be deleted.'),
  successfulJobsHistoryLimit: z.int().min(0).max(100).default(3).describe('Finished runs (Jobs) to keep.'),
  failedJobsHistoryLimit: z.int().min(0).max(100).default(1).describe('Failed runs (Jobs) to keep.'),
  job: RetentionJob.optional().describe('Resources and placement of the Job each run creates.'),
});
export type RetentionPolicySpec = z.output<typeof RetentionPolicySpec>;

const Count = z.int().min(0);

const LastRun = z.strictObject({
  jobName: ObjectName.optional().describe('The Job of the run.'),
  startTime: Timestamp.describe('When the run started.'),
  completionTime: Timestamp.optional().describe('When the run ended.'),
  outcome: z.enum(['Succeeded', 'Failed', 'Aborted']).optional().describe('Succeeded, Failed, or Aborted by a safety rail (the message says which).'),
  dryRun: z.boolean().optional().describe('Whether the run only reported.'),
  evaluated: Count.optional().describe('Tags and untagged manifests the rules were applied to.'),
  kept: Count.optional().describe('Of those, how many a rule, the floor or keepInUse kept.'),
  deleted: Count.optional().describe('Manifests deleted (or, in a dry run, that would have been).'),
  protected: Count.optional().describe('Manifests kept only because they are in use or under the floor.'),
  bytesReclaimed: Count.optional().describe('Bytes freed, where the registry lets us know; space returns at the next garbage collection.'),
  message: z.string().max(1024).optional().describe('Why the run ended as it did.'),
});

const PlannedDecision = z.strictObject({
  repository: z.string().max(255).describe('Repository of the manifest.'),
  tag: z.string().max(128).optional().describe('Tag, when the decision is about a tag.'),
  digest: z.string().max(128).describe('Digest of the manifest.'),
  action: z.enum(['Keep', 'Delete']).describe('Keep or Delete.'),
  reason: z.string().max(1024).describe('Why: the rule, floor or use that decided.'),
});

const RetentionPolicyStatus = z.strictObject({
  observedGeneration: ObservedGeneration.optional(),
  conditions: Conditions.optional(),
  lastRun: LastRun.optional().describe('The most recent run.'),
  nextRunTime: Timestamp.optional().describe('When the next run is scheduled.'),
  plan: z.array(PlannedDecision).max(20).optional().describe('A sample of the decisions of the last run, with reasons; the full report is in reportConfigMap.'),
  reportConfigMap: ObjectName.optional().describe('ConfigMap with the full report of the last run, every decision with its reason.'),
});
export type RetentionPolicyStatus = z.output<typeof RetentionPolicyStatus>;

export const retentionPolicyKind = {
  kind: 'RetentionPolicy',
  plural: 'retentionpolicies',
  singular: 'retentionpolicy',
  shortNames: ['rp'],
  description:
    'Deletes tags of selected repositories of a Registry on a schedule, keeping what any rule keeps, what the cluster runs, ' +
    'and a floor per repository. Runs as a CronJob; reports each run.',
  spec: RetentionPolicySpec,
  status: RetentionPolicyStatus,
  printerColumns: [
    { name: 'Registry', type: 'string', jsonPath: '.spec.registryRef.name', description: 'The Registry the policy cleans up.', priority: 1 },
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule', description: 'When the policy runs.' },
    { name: 'Last Run', type: 'date', jsonPath: '.status.lastRun.startTime', description: 'When the last run started.' },
    { name: 'Deleted', type: 'integer', jsonPath: '.status.lastRun.deleted', description: 'Manifests the last run deleted.' },
    { name: 'Next Run', type: 'date', jsonPath: '.status.nextRunTime', description: 'When the next run is scheduled.' },
    ageColumn,
  ],
} satisfies KindDefinition<typeof RetentionPolicySpec, typeof RetentionPolicyStatus>;

export const RetentionPolicy = resourceSchema(retentionPolicyKind);
export type RetentionPolicy = z.output<typeof RetentionPolicy>;
