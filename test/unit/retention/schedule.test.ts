import { describe, expect, it } from 'vitest';
import { nextRunTime, ScheduleError } from '../../../src/retention/schedule.ts';

const at = (iso: string) => new Date(iso);

/** The next `count` runs after `after`, each found from the one before. */
function runs(schedule: string, timeZone: string | undefined, after: string, count: number): string[] {
  const found: string[] = [];
  let from = at(after);
  for (let n = 0; n < count; n++) {
    const next = nextRunTime(schedule, timeZone, from);
    if (next === undefined) break;
    found.push(next.toISOString().replace('.000Z', 'Z'));
    from = next;
  }
  return found;
}

describe('nextRunTime', () => {
  it('reads every macro the CRD admits', () => {
    const after = '2026-12-01T16:07:00Z';
    expect(runs('@hourly', undefined, after, 2)).toEqual(['2026-12-01T17:00:00Z', '2026-12-01T18:00:00Z']);
    for (const daily of ['@daily', '@midnight']) expect(runs(daily, undefined, after, 1)).toEqual(['2026-12-02T00:00:00Z']);
    expect(runs('@weekly', undefined, after, 1)).toEqual(['2026-12-06T00:00:00Z']);
    expect(runs('@monthly', undefined, after, 1)).toEqual(['2027-01-01T00:00:00Z']);
    for (const yearly of ['@yearly', '@annually']) expect(runs(yearly, undefined, after, 1)).toEqual(['2027-01-01T00:00:00Z']);
  });

  it('is strictly after the given time', () => {
    expect(runs('0 3 * * *', undefined, '2026-12-02T03:00:00Z', 1)).toEqual(['2026-12-03T03:00:00Z']);
  });

  it('reads lists, ranges, steps, N/step, names in any case and leading zeros, as Kubernetes does', () => {
    expect(runs('5/15 * * * *', undefined, '2026-12-01T16:07:00Z', 4)).toEqual([
      '2026-12-01T16:20:00Z',
      '2026-12-01T16:35:00Z',
      '2026-12-01T16:50:00Z',
      '2026-12-01T17:05:00Z',
    ]);
    expect(runs('00 03 * jan,JUL Sun', undefined, '2026-12-01T00:00:00Z', 2)).toEqual(['2027-01-03T03:00:00Z', '2027-01-10T03:00:00Z']);
    expect(runs('0 9-17/4 * * mon-fri', undefined, '2026-12-04T12:00:00Z', 3)).toEqual([
      '2026-12-04T13:00:00Z',
      '2026-12-04T17:00:00Z',
      '2026-12-07T09:00:00Z',
    ]);
    expect(runs('0  3 * * *', undefined, '2026-12-01T00:00:00Z', 1)).toEqual(['2026-12-01T03:00:00Z']);
  });

  it('combines a restricted day of month and day of week with OR, and a * day of month with AND', () => {
    // 2027-01-01 is a Friday: the 1st counts although it is no Monday.
    expect(runs('0 0 1 * mon', undefined, '2026-12-28T00:00:00Z', 2)).toEqual(['2027-01-01T00:00:00Z', '2027-01-04T00:00:00Z']);
    expect(runs('0 0 */2 * mon', undefined, '2026-12-01T12:00:00Z', 3)).toEqual(['2026-12-03T00:00:00Z', '2026-12-05T00:00:00Z', '2026-12-07T00:00:00Z']);
    expect(runs('0 0 * * mon', undefined, '2026-12-01T12:00:00Z', 2)).toEqual(['2026-12-07T00:00:00Z', '2026-12-14T00:00:00Z']);
  });

  it('runs in the given time zone, through daylight saving changes', () => {
    expect(runs('0 3 * * *', 'Europe/Berlin', '2026-12-01T12:00:00Z', 1)).toEqual(['2026-12-02T02:00:00Z']);
    expect(runs('0 3 * * *', 'Europe/Berlin', '2027-03-27T12:00:00Z', 2)).toEqual(['2027-03-28T01:00:00Z', '2027-03-29T01:00:00Z']);
    expect(runs('0 3 * * *', 'America/Argentina/Buenos_Aires', '2026-12-01T12:00:00Z', 1)).toEqual(['2026-12-02T06:00:00Z']);
  });

  it('has no next run for a date that never comes', () => {
    expect(nextRunTime('0 0 30 2 *', undefined, at('2026-12-01T00:00:00Z'))).toBeUndefined();
  });

  it('names the field of a schedule or time zone it cannot read', () => {
    const failure = (schedule: string, timeZone?: string): string[] => {
      try {
        nextRunTime(schedule, timeZone, at('2026-12-01T00:00:00Z'));
      } catch (error) {
        return error instanceof ScheduleError ? [error.field, error.message] : [String(error)];
      }
      return ['no error'];
    };
    expect(failure('61 * * * *')).toEqual([
      'spec.schedule',
      'spec.schedule: must be a cron schedule of five fields (minute hour day-of-month month day-of-week), such as "0 3 * * *", or a macro such as @daily',
    ]);
    expect(failure('0 0 0 * * *')[0]).toBe('spec.schedule');
    expect(failure('0 3 * * *', 'Mars/Olympus')).toEqual([
      'spec.timeZone',
      'spec.timeZone: unknown time zone "Mars/Olympus": expected an IANA name such as UTC or Europe/Berlin',
    ]);
  });
});
