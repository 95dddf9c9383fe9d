import { Cron } from 'croner';
import { CronSchedule } from '../api/v1alpha1/formats.ts';

// When a RetentionPolicy runs next, as the kube-controller-manager's CronJob controller will
// start it (robfig/cron's standard parser): five fields or a macro; day of month and day of week
// combine with OR when both are restricted (`*/2` counts as restricted, as in robfig/cron since
// v3); `N/step` means N through the field's end. croner does the arithmetic, time zones included.

export class ScheduleError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ScheduleError';
    this.field = field;
  }
}

/**
 * The first run strictly after `after`, or undefined when the schedule never fires (such as
 * 30 February). Without a time zone the schedule is read in UTC, the zone the kube-controller-
 * manager runs in unless its host says otherwise. Throws a ScheduleError naming the field for a
 * schedule the CRD would refuse or an unknown time zone.
 */
export function nextRunTime(schedule: string, timeZone: string | undefined, after: Date): Date | undefined {
  const parsed = CronSchedule.safeParse(schedule);
  if (!parsed.success) throw new ScheduleError('spec.schedule', parsed.error.issues[0]?.message ?? 'invalid cron schedule');
  const zone = timeZone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new ScheduleError('spec.timeZone', `unknown time zone ${JSON.stringify(zone)}: expected an IANA name such as UTC or Europe/Berlin`);
  }
  let cron: Cron;
  try {
    cron = new Cron(schedule.trim().replace(/ +/g, ' '), { timezone: zone, mode: '5-part', sloppyRanges: true, domAndDow: false, paused: true });
  } catch (error) {
    throw new ScheduleError('spec.schedule', error instanceof Error ? error.message : String(error));
  }
  return cron.nextRun(after) ?? undefined;
}
