import { describe, expect, it } from 'vitest';
import { cronFiresBetween, parseCron } from '../../shared/cron.ts';

const at = (iso: string) => new Date(iso);
const isos = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('parseCron: the EventBridge cron subset, in UTC', () => {
  it('hourly at minute 14', () => {
    const cron = parseCron('cron(14 * * * ? *)');
    expect(cron.next(at('2026-11-22T13:14:00Z'))?.toISOString()).toBe('2026-11-22T14:14:00.000Z');
    expect(cron.next(at('2026-11-22T13:13:59.999Z'))?.toISOString()).toBe('2026-11-22T13:14:00.000Z');
    expect(cron.matches(at('2026-11-22T13:14:00Z'))).toBe(true);
    expect(cron.matches(at('2026-11-22T13:14:01Z'))).toBe(false);
  });

  it('every 2 hours on odd hours, across midnight', () => {
    const cron = parseCron('cron(14 1/2 * * ? *)');
    expect(isos(cronFiresBetween(cron, at('2026-11-22T21:00:00Z'), at('2026-11-23T03:30:00Z')))).toEqual([
      '2026-11-22T21:14:00.000Z',
      '2026-11-22T23:14:00.000Z',
      '2026-11-23T01:14:00.000Z',
      '2026-11-23T03:14:00.000Z',
    ]);
  });

  it('daily, across a leap day', () => {
    const cron = parseCron('cron(0 0 * * ? *)');
    expect(isos(cronFiresBetween(cron, at('2028-02-28T00:00:00Z'), at('2028-03-01T00:00:00Z')))).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2028-03-01T00:00:00.000Z',
    ]);
  });

  it('lists, ranges, steps, days of the week (1 = Sunday) and years', () => {
    const weekdays = parseCron('cron(0,30 9-10 ? * 2-6 *)');
    // 2026-11-22 is a Sunday.
    expect(weekdays.next(at('2026-11-22T00:00:00Z'))?.toISOString()).toBe('2026-11-23T09:00:00.000Z');
    expect(isos(cronFiresBetween(weekdays, at('2026-11-23T08:00:00Z'), at('2026-11-23T11:00:00Z')))).toEqual([
      '2026-11-23T09:00:00.000Z',
      '2026-11-23T09:30:00.000Z',
      '2026-11-23T10:00:00.000Z',
      '2026-11-23T10:30:00.000Z',
    ]);
    expect(parseCron('cron(*/20 0 1 1 ? 2027)').next(at('2026-11-22T00:00:00Z'))?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(parseCron('cron(0 0 1 1 ? 2025)').next(at('2026-01-01T00:00:00Z'))).toBeNull();
  });

  it.each([
    ['rate(1 hour)', /not an EventBridge cron expression/],
    ['cron(14 * * * *)', /not an EventBridge cron expression/],
    ['cron(14 * * * * *)', /exactly one of day-of-month and day-of-week must be '\?'/],
    ['cron(14 * ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['cron(60 * * * ? *)', /minutes field: '60' is outside 0-59/],
    ['cron(0 24 * * ? *)', /hours field: '24' is outside 0-23/],
    ['cron(0 0 ? * MON *)', /day-of-week field: unsupported item 'MON'/],
    ['cron(0 0 L * ? *)', /day-of-month field: unsupported item 'L'/],
  ])('refuses %s', (expression, message) => {
    expect(() => parseCron(expression)).toThrow(message);
  });
});
