import { z } from 'zod';
import { maxRepositoryNameLength, repositoryComponentSource, repositoryNameSource, tagSource, sha256DigestSource } from '../../oci/reference.ts';
import { withRules } from '../validation-rule.ts';
import { goDurationPattern } from './duration.ts';

// The string grammars of the API. Each is a regular expression that zod checks and that the CRD
// carries as `pattern`, so both sides accept exactly the same strings. The apiserver evaluates
// patterns with Go's RE2: no lookaround and no backreferences here.

/** A Kubernetes quantity without a sign (sizes and resources are never negative): `20Gi`, `500m`, `1e3`. */
const quantityPattern = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?$/;

const repositoryNamePattern = new RegExp(`^${repositoryNameSource}$`);

/**
 * One component of a repository glob: `**` (any number of components), or runs of literal
 * characters and `?` separated by single `*` (within one component). Two stars side by side
 * inside a component would mean nothing more than one, so they are rejected as a likely typo.
 * Each star must separate two runs, which keeps the expression free of nested ambiguous
 * repetition (JavaScript's engine backtracks; RE2 does not, but both must stay fast).
 */
const globRun = '[a-z0-9._?-]+';
const repositoryGlobComponent = String.raw`\*\*|\*|\*?${globRun}(?:\*${globRun})*\*?`;
const repositoryGlobPattern = new RegExp(`^(?:${repositoryGlobComponent})(?:/(?:${repositoryGlobComponent}))*$`);

/** A tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; a tag glob adds `*` and `?`. */
const tagGlobPattern = /^[A-Za-z0-9_*?][A-Za-z0-9_.*?-]{0,127}$/;

const dns1123LabelPattern = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const dns1123SubdomainPattern = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

const imageReferencePattern = new RegExp(
  String.raw`^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?${repositoryComponentSource}(?:/${repositoryComponentSource})*` +
    `(?::${tagSource})?(?:@${sha256DigestSource})?$`,
);

const httpUrlPattern = /^https?:\/\/[^\s/?#@]+(?:\/[^\s?#]*)?$/;

/** IANA time zone names such as `UTC`, `Europe/Berlin` or `America/Argentina/Buenos_Aires`. */
const timeZonePattern = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Month and weekday names are case-insensitive in cron; RE2 and JS share no inline flag, so spell it out. */
function anyCase(word: string): string {
  return [...word].map((letter) => `[${letter}${letter.toUpperCase()}]`).join('');
}

function cronField(value: string): string {
  const element = String.raw`(?:\*|(?:${value})(?:-(?:${value}))?)(?:/[1-9][0-9]?)?`;
  return `${element}(?:,${element})*`;
}

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map(anyCase).join('|');
const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map(anyCase).join('|');
const cronMacros = ['yearly', 'annually', 'monthly', 'weekly', 'daily', 'midnight', 'hourly'];

/**
 * The five-field cron syntax Kubernetes CronJobs accept (minute, hour, day of month, month, day of
 * week, each a list of values, ranges and steps), or one of its `@daily`-style macros. Values out
 * of range, such as minute 61, do not match.
 */
const cronPattern = new RegExp(
  `^(?:@(?:${cronMacros.join('|')})|` +
    [
      cronField('[0-5]?[0-9]'),
      cronField('[01]?[0-9]|2[0-3]'),
      cronField('0?[1-9]|[12][0-9]|3[01]'),
      cronField(`0?[1-9]|1[0-2]|${months}`),
      cronField(`[0-6]|${weekdays}`),
    ].join(' +') +
    ')$',
);

export const Quantity = z
  .union([z.int().min(0), z.string().max(64).regex(quantityPattern, { message: 'must be a Kubernetes quantity such as 20Gi, 512Mi or 500m' })])
  .meta({ 'x-kubernetes-int-or-string': true });

export const Duration = z.string().max(32).regex(goDurationPattern, { message: 'must be a Go duration such as 720h, 90m or 1h30m' });

const cronMessage = 'must be a cron schedule of five fields (minute hour day-of-month month day-of-week), such as "0 3 * * *", or a macro such as @daily';

// Checked by a rule rather than `pattern`: the apiserver quotes a failed pattern in its message,
// and two kilobytes of regular expression would bury what the user needs to read.
export const CronSchedule = withRules(z.string().max(128), [
  { cel: `self.matches(r'${cronPattern.source}')`, message: cronMessage, holds: (schedule) => cronPattern.test(schedule) },
]);

export const RepositoryName = z.string().max(maxRepositoryNameLength).regex(repositoryNamePattern, {
  message: 'must be an OCI repository name: lowercase path components such as apps/web, separated by /',
});

export const RepositoryGlob = z.string().max(255).regex(repositoryGlobPattern, {
  message: 'must be a repository glob: lowercase path components with * (within a component), ? or ** (any components), such as apps/**',
});

export const TagGlob = z.string().max(128).regex(tagGlobPattern, {
  message: 'must be a tag glob: letters, digits, _ . - plus the wildcards * and ?, such as v* or release-*',
});

/** A name valid for most Kubernetes objects (Secrets, ConfigMaps, ServiceAccounts, our kinds). */
export const ObjectName = z.string().min(1).max(253).regex(dns1123SubdomainPattern, {
  message: 'must be a lowercase RFC 1123 subdomain: letters, digits, - and ., starting and ending with a letter or digit',
});

/** A name valid for a Namespace or a Service. */
export const LabelName = z.string().min(1).max(63).regex(dns1123LabelPattern, {
  message: 'must be a lowercase RFC 1123 label: letters, digits and -, starting and ending with a letter or digit',
});

export const ImageReference = z.string().max(512).regex(imageReferencePattern, {
  message: 'must be a container image reference such as docker.io/library/registry:3.0.0',
});

export const HttpUrl = z.string().max(2048).regex(httpUrlPattern, { message: 'must be an http:// or https:// URL' });

export const TimeZone = z.string().max(64).regex(timeZonePattern, { message: 'must be an IANA time zone name such as UTC or Europe/Berlin' });

/** RFC 3339 in UTC, as Kubernetes writes `metav1.Time`. */
export const Timestamp = z.iso.datetime();
