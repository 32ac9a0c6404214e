/**
 * Sync Frequency, anchored at the org's install time in UTC (BRIEF: "Scheduled syncs"): installed
 * 13:14 → hourly 14:14, 15:14…; every 2 hours 15:14, 17:14… (the install hour's parity, which a
 * 24-hour day preserves); daily 13:14 the next day. the schedules are evaluated in UTC, so the
 * expression and `nextScheduledSync` describe the same instants: fire times are
 * anchor + k·period for k ≥ 1, with anchor = install time truncated to the minute.
 */
export const SYNC_FREQUENCIES = ['hourly', 'every_2_hours', 'daily', 'never'] as const;
export type SyncFrequency = (typeof SYNC_FREQUENCIES)[number];

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const PERIOD_MS: Record<Exclude<SyncFrequency, 'never'>, number> = {
  hourly: HOUR_MS,
  every_2_hours: 2 * HOUR_MS,
  daily: 24 * HOUR_MS,
};

/** Scheduler schedule names: 1-64 of letters, digits, ".", "_" and "-". */
const SCHEDULE_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function isSyncFrequency(value: unknown): value is SyncFrequency {
  return typeof value === 'string' && (SYNC_FREQUENCIES as readonly string[]).includes(value);
}

/** EventBridge `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, or null for `never`. */
export function scheduleExpression(frequency: SyncFrequency, installedAt: Date): string | null {
  checkFrequency(frequency);
  const install = checkDate(installedAt, 'installedAt');
  const minute = install.getUTCMinutes();
  const hour = install.getUTCHours();
  switch (frequency) {
    case 'never':
      return null;
    case 'hourly':
      return `cron(${minute} * * * ? *)`;
    case 'every_2_hours':
      return `cron(${minute} ${hour % 2}/2 * * ? *)`;
    case 'daily':
      return `cron(${minute} ${hour} * * ? *)`;
  }
}

/** First fire time strictly after both `now` and `installedAt`; null for `never`. */
export function nextScheduledSync(frequency: SyncFrequency, installedAt: Date, now: Date): Date | null {
  checkFrequency(frequency);
  const install = checkDate(installedAt, 'installedAt').getTime();
  const current = checkDate(now, 'now').getTime();
  if (frequency === 'never') return null;
  const period = PERIOD_MS[frequency];
  const anchor = Math.floor(install / MINUTE_MS) * MINUTE_MS;
  const after = Math.max(install, current);
  const periods = Math.floor((after - anchor) / period) + 1;
  return new Date(anchor + periods * period);
}

/** The org's schedule name in the stack's schedule group. */
export function scheduleName(orgId: string, prefix = 'glance-sync-org-'): string {
  if (typeof orgId !== 'string' || orgId.length === 0) throw new RangeError('orgId must be a non-empty string');
  const name = `${prefix}${orgId}`;
  if (!SCHEDULE_NAME_PATTERN.test(name)) {
    throw new RangeError(`schedule name "${name}" must be 1-64 of A-Z a-z 0-9 . _ -`);
  }
  return name;
}

function checkFrequency(frequency: unknown): asserts frequency is SyncFrequency {
  if (!isSyncFrequency(frequency)) {
    throw new RangeError(`sync frequency must be one of ${SYNC_FREQUENCIES.join(', ')}, got ${String(frequency)}`);
  }
}

function checkDate(value: Date, name: string): Date {
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) throw new RangeError(`${name} must be a valid Date`);
  return value;
}
