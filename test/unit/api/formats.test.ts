import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { durationMilliseconds, parseDurationFlag } from '../../../src/api/v1alpha1/duration.ts';
import { CronSchedule, Duration, ImageReference, Quantity, RepositoryGlob, RepositoryName, TagGlob } from '../../../src/api/v1alpha1/formats.ts';

const grammars: [string, z.ZodType, accepted: unknown[], rejected: unknown[]][] = [
  [
    'cron schedules',
    CronSchedule,
    ['0 3 * * *', '*/15 * * * *', '0 0-6/2 1,15 * mon-fri', '30 4 1 JAN,Jul *', '59 23 31 12 6', '@daily', '@hourly'],
    ['0 3 * *', '0 3 * * * *', '60 * * * *', '0 24 * * *', '0 0 0 * *', '0 0 * 13 *', '0 0 * * 7', '@every 1h', 'TZ=UTC 0 3 * * *', '*/0 * * * *'],
  ],
  ['Go durations', Duration, ['720h', '90m', '1h30m', '1.5h', '300ms', '10us', '45s'], ['30d', '1 h', '-1h', 'h', '1H', '', '1h 30m']],
  [
    'repository names',
    RepositoryName,
    ['web', 'apps/web', 'a/b/c', 'my-app', 'my__app', 'app.v2', 'a--b'],
    ['Apps', 'apps//web', '/apps', 'apps/', 'a_-b', '-web', 'web-'],
  ],
  [
    'repository globs',
    RepositoryGlob,
    ['apps/**', '**', '*', 'apps/*', 'apps/web-*', 'team-?/app', '*-builder', 'apps/**/cache', 'a*b*c'],
    ['Apps/**', 'apps//*', '/apps', 'apps/***', 'apps/w**', 'apps/[a-z]', ''],
  ],
  ['tag globs', TagGlob, ['v*', 'release-*', 'latest', '*', 'v?.*', '1.0.0_rc1'], ['v[0-9]*', 'feature/x', '.hidden', '-dash', '', 'x'.repeat(129)]],
  ['quantities', Quantity, ['20Gi', '500m', '1', 1, '1.5', '1e3', '.5Ki'], ['-1Gi', -1, '20 Gi', 'lots', '1GB', 1.5]],
  [
    'image references',
    ImageReference,
    ['registry:3.0.0', 'docker.io/library/registry:3.0.0', 'localhost:5000/apps/web', `registry@sha256:${'a'.repeat(64)}`],
    ['Registry:3', 'registry:', 'docker.io/Library/registry', 'registry:3 latest'],
  ],
];

describe.each(grammars)('%s', (_, schema, accepted, rejected) => {
  it.each(accepted)('accepts %j', (value) => {
    expect(schema.safeParse(value).success).toBe(true);
  });
  it.each(rejected)('rejects %j', (value) => {
    expect(schema.safeParse(value).success).toBe(false);
  });
});

describe('durationMilliseconds', () => {
  it.each([
    ['720h', 720 * 3_600_000],
    ['1h30m', 5_400_000],
    ['90m', 5_400_000],
    ['1.5h', 5_400_000],
    ['2m3s', 123_000],
    ['300ms', 300],
    ['1500us', 1.5],
  ])('reads %s as %d ms', (text, milliseconds) => {
    expect(durationMilliseconds(text)).toBeCloseTo(milliseconds, 9);
  });

  it('refuses what Go would refuse', () => {
    expect(() => durationMilliseconds('30d')).toThrow(/invalid duration "30d"/);
  });
});

describe('parseDurationFlag', () => {
  it('reads every duration flag with the same grammar: 1h is an hour for any flag', () => {
    expect(parseDurationFlag('lease-duration', '1h')).toBe(3_600_000);
    expect(parseDurationFlag('token-lifetime', '1h')).toBe(3_600_000);
    expect(parseDurationFlag('retry-period', '1.5s')).toBe(1_500);
  });

  it('takes a bare 0 as Go does, only where zero means something', () => {
    expect(parseDurationFlag('idle-timeout', '0', { allowZero: true })).toBe(0);
    expect(() => parseDurationFlag('lease-duration', '0')).toThrow('--lease-duration: must be longer than 0');
    expect(() => parseDurationFlag('lease-duration', '0s')).toThrow('--lease-duration: must be longer than 0');
  });

  it('refuses a number without a unit or a unit Go does not know, naming the flag', () => {
    expect(() => parseDurationFlag('lease-duration', '15')).toThrow(/^--lease-duration: invalid duration "15"; use a Go duration/);
    expect(() => parseDurationFlag('renew-deadline', '2d')).toThrow(/^--renew-deadline: invalid duration "2d"/);
  });
});

describe('regular expressions of the grammars', () => {
  // JavaScript backtracks; a pattern with nested ambiguous repetition would hang on long input.
  it('reject long near-misses quickly', () => {
    const started = performance.now();
    for (const schema of [RepositoryGlob, RepositoryName, TagGlob, ImageReference]) {
      schema.safeParse(`${'a'.repeat(250)}!`);
      schema.safeParse(`${'a*'.repeat(120)}!`);
    }
    expect(performance.now() - started).toBeLessThan(200);
  });
});
