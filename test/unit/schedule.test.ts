import { describe, expect, it } from 'vitest';
import { parseCron } from '../../shared/cron.ts';
import { nextScheduledSync, scheduleExpression, scheduleName, SYNC_FREQUENCIES, type SyncFrequency } from '../../shared/schedule.ts';

const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * The expression read by the cron evaluator the local scheduler uses (shared/cron.ts), which
 * knows nothing of install times or periods: so the expression and nextScheduledSync cannot
 * drift apart unnoticed.
 */
function nextFires(expression: string, after: Date, count: number): Date[] {
  // Org schedules narrow minutes and hours only; every day of every month and year fires.
  expect(expression).toMatch(/^cron\(\S+ \S+ \* \* \? \*\)$/);
  const cron = parseCron(expression);
  const fires: Date[] = [];
  for (let next = cron.next(after); next && fires.length < count; next = cron.next(next)) fires.push(next);
  return fires;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}

describe('the BRIEF example: installed 13:14', () => {
  const installedAt = at('2026-11-22T13:14:00Z');

  it('hourly fires 14:14, 15:14, …', () => {
    expect(scheduleExpression('hourly', installedAt)).toBe('cron(14 * * * ? *)');
    expect(iso(nextScheduledSync('hourly', installedAt, installedAt))).toBe('2026-11-22T14:14:00.000Z');
    expect(iso(nextScheduledSync('hourly', installedAt, at('2026-11-22T14:14:00Z')))).toBe('2026-11-22T15:14:00.000Z');
  });

  it('every 2 hours fires 15:14, 17:14, …', () => {
    expect(scheduleExpression('every_2_hours', installedAt)).toBe('cron(14 1/2 * * ? *)');
    expect(iso(nextScheduledSync('every_2_hours', installedAt, installedAt))).toBe('2026-11-22T15:14:00.000Z');
    expect(iso(nextScheduledSync('every_2_hours', installedAt, at('2026-11-22T15:14:00Z')))).toBe('2026-11-22T17:14:00.000Z');
    expect(iso(nextScheduledSync('every_2_hours', installedAt, at('2026-11-22T23:30:00Z')))).toBe('2026-11-23T01:14:00.000Z');
  });

  it('daily fires 13:14 the next day', () => {
    expect(scheduleExpression('daily', installedAt)).toBe('cron(14 13 * * ? *)');
    expect(iso(nextScheduledSync('daily', installedAt, installedAt))).toBe('2026-11-23T13:14:00.000Z');
  });

  it('never has no expression and no next sync', () => {
    expect(scheduleExpression('never', installedAt)).toBeNull();
    expect(nextScheduledSync('never', installedAt, installedAt)).toBeNull();
  });

  it('is strictly after now, to the millisecond', () => {
    expect(iso(nextScheduledSync('hourly', installedAt, at('2026-11-22T14:13:59.999Z')))).toBe('2026-11-22T14:14:00.000Z');
    expect(iso(nextScheduledSync('hourly', installedAt, at('2026-11-22T14:14:00.001Z')))).toBe('2026-11-22T15:14:00.000Z');
  });

  it('never fires before or at the install, even if the clock says earlier', () => {
    const withSeconds = at('2026-11-22T13:14:30.500Z');
    expect(iso(nextScheduledSync('hourly', withSeconds, at('2026-11-22T12:00:00Z')))).toBe('2026-11-22T14:14:00.000Z');
    expect(iso(nextScheduledSync('daily', withSeconds, withSeconds))).toBe('2026-11-23T13:14:00.000Z');
  });
});

describe('edges', () => {
  it('minute 0 and minute 59', () => {
    expect(scheduleExpression('hourly', at('2026-03-01T10:00:00Z'))).toBe('cron(0 * * * ? *)');
    expect(scheduleExpression('every_2_hours', at('2026-03-01T10:00:00Z'))).toBe('cron(0 0/2 * * ? *)');
    expect(iso(nextScheduledSync('every_2_hours', at('2026-03-01T10:00:00Z'), at('2026-03-01T10:00:00Z')))).toBe('2026-03-01T12:00:00.000Z');
    expect(scheduleExpression('hourly', at('2026-03-01T10:59:59Z'))).toBe('cron(59 * * * ? *)');
    expect(iso(nextScheduledSync('hourly', at('2026-03-01T10:59:59Z'), at('2026-03-01T10:59:59Z')))).toBe('2026-03-01T11:59:00.000Z');
  });

  it('even and odd install hours', () => {
    expect(scheduleExpression('every_2_hours', at('2026-03-01T08:30:00Z'))).toBe('cron(30 0/2 * * ? *)');
    expect(scheduleExpression('every_2_hours', at('2026-03-01T09:30:00Z'))).toBe('cron(30 1/2 * * ? *)');
    expect(iso(nextScheduledSync('every_2_hours', at('2026-03-01T08:30:00Z'), at('2026-03-01T09:45:00Z')))).toBe('2026-03-01T10:30:00.000Z');
    expect(iso(nextScheduledSync('every_2_hours', at('2026-03-01T09:30:00Z'), at('2026-03-01T09:45:00Z')))).toBe('2026-03-01T11:30:00.000Z');
  });

  it('midnight installs', () => {
    const midnight = at('2026-03-01T00:00:00Z');
    expect(scheduleExpression('every_2_hours', midnight)).toBe('cron(0 0/2 * * ? *)');
    expect(scheduleExpression('daily', midnight)).toBe('cron(0 0 * * ? *)');
    expect(iso(nextScheduledSync('daily', midnight, midnight))).toBe('2026-03-02T00:00:00.000Z');
    expect(iso(nextScheduledSync('every_2_hours', midnight, at('2026-03-01T23:00:00Z')))).toBe('2026-03-02T00:00:00.000Z');

    const lateNight = at('2026-03-01T23:59:00Z');
    expect(scheduleExpression('hourly', lateNight)).toBe('cron(59 * * * ? *)');
    expect(scheduleExpression('every_2_hours', lateNight)).toBe('cron(59 1/2 * * ? *)');
    expect(scheduleExpression('daily', lateNight)).toBe('cron(59 23 * * ? *)');
    expect(iso(nextScheduledSync('hourly', lateNight, lateNight))).toBe('2026-03-02T00:59:00.000Z');
    expect(iso(nextScheduledSync('every_2_hours', lateNight, lateNight))).toBe('2026-03-02T01:59:00.000Z');
    expect(iso(nextScheduledSync('daily', lateNight, lateNight))).toBe('2026-03-02T23:59:00.000Z');
  });

  it('daily across month, year and leap-day ends', () => {
    const installedAt = at('2026-12-31T22:30:00Z');
    expect(iso(nextScheduledSync('daily', installedAt, installedAt))).toBe('2027-01-01T22:30:00.000Z');
    expect(iso(nextScheduledSync('daily', installedAt, at('2027-01-31T23:00:00Z')))).toBe('2027-02-01T22:30:00.000Z');
    expect(iso(nextScheduledSync('daily', at('2028-02-28T10:00:00Z'), at('2028-02-28T10:00:00Z')))).toBe('2028-02-29T10:00:00.000Z');
    expect(iso(nextScheduledSync('every_2_hours', installedAt, at('2026-12-31T23:00:00Z')))).toBe('2027-01-01T00:30:00.000Z');
  });

  it('years after the install', () => {
    expect(iso(nextScheduledSync('every_2_hours', at('2026-11-22T13:14:00Z'), at('2031-06-15T16:00:00Z')))).toBe('2031-06-15T17:14:00.000Z');
  });

  it('refuses invalid input', () => {
    const ok = at('2026-11-22T13:14:00Z');
    expect(() => scheduleExpression('weekly' as SyncFrequency, ok)).toThrow(/sync frequency/);
    expect(() => scheduleExpression('hourly', at('nope'))).toThrow(/installedAt/);
    expect(() => nextScheduledSync('hourly', ok, at('nope'))).toThrow(/now/);
    expect(() => nextScheduledSync('never', at('nope'), ok)).toThrow(/installedAt/);
  });
});

describe('expression and next time agree', () => {
  it('over many seeded install times', () => {
    const random = seeded(20261122);
    const base = at('2024-01-01T00:00:00Z').getTime();
    for (let i = 0; i < 250; i++) {
      // Whole minutes often, so installs at exact minutes and hours get covered.
      const raw = base + Math.floor(random() * 4 * 365 * 86_400_000);
      const installedAt = new Date(i % 3 === 0 ? Math.floor(raw / 60_000) * 60_000 : raw);
      for (const frequency of SYNC_FREQUENCIES) {
        const expression = scheduleExpression(frequency, installedAt);
        const now = new Date(installedAt.getTime() + Math.floor((random() - 0.1) * 3 * 86_400_000));
        if (expression === null) {
          expect(nextScheduledSync(frequency, installedAt, now)).toBeNull();
          continue;
        }
        const after = new Date(Math.max(installedAt.getTime(), now.getTime()));
        const expected = nextFires(expression, after, 3);
        // The loop below is the assertion: it must have fires to compare.
        expect(expected).toHaveLength(3);
        let cursor = now;
        for (const fire of expected) {
          expect(iso(nextScheduledSync(frequency, installedAt, cursor)), `${frequency} ${expression} ${iso(installedAt)} after ${iso(cursor)}`).toBe(iso(fire));
          cursor = fire;
        }
      }
    }
  });
});

describe('scheduleName', () => {
  it('prefixes the org id', () => {
    expect(scheduleName('00D5g000000AbCdEAK')).toBe('glance-sync-org-00D5g000000AbCdEAK');
    expect(scheduleName('00D5g000000AbCd', 'dev-sync-')).toBe('dev-sync-00D5g000000AbCd');
  });

  it('refuses names EventBridge would refuse', () => {
    expect(() => scheduleName('')).toThrow(/orgId/);
    expect(() => scheduleName('00D 5g')).toThrow(/schedule name/);
    expect(() => scheduleName('x'.repeat(60))).toThrow(/schedule name/);
  });
});
