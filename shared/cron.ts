/**
 * Reads EventBridge `cron(Minutes Hours Day-of-month Month Day-of-week Year)` expressions, in UTC
 * as EventBridge evaluates them. Numeric fields with `*`, `?`, lists, ranges and `/` steps are
 * understood; names (MON, JAN) and L / W / # are refused, since no org schedule produces them.
 * Used where EventBridge itself does not fire (the local run) and to report a rule's next time.
 */
export interface CronSchedule {
  expression: string;
  matches(date: Date): boolean;
  /** The first fire time strictly after `after`, or null if none before the end of the Year field. */
  next(after: Date): Date | null;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const LAST_YEAR = 2199;

type FieldMatcher = (value: number) => boolean;

function parseField(spec: string, name: string, min: number, max: number): FieldMatcher {
  const allowed = new Set<number>();
  for (const item of spec.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw new RangeError(`cron ${name} field: unsupported item '${item}'`);
    const [, whole, from, to, step] = match;
    const start = whole === '*' ? min : Number(from);
    const end = whole === '*' ? max : to !== undefined ? Number(to) : step !== undefined ? max : start;
    const every = step === undefined ? 1 : Number(step);
    if (start < min || end > max || start > end || every < 1) {
      throw new RangeError(`cron ${name} field: '${item}' is outside ${min}-${max}`);
    }
    for (let v = start; v <= end; v += every) allowed.add(v);
  }
  return (value) => allowed.has(value);
}

export function parseCron(expression: string): CronSchedule {
  const match = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!match) throw new RangeError(`not an EventBridge cron expression: ${expression}`);
  const [, minutes, hours, dayOfMonth, month, dayOfWeek, year] = match as unknown as [string, string, string, string, string, string, string];
  // EventBridge requires exactly one of the two day fields to be '?'.
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new RangeError(`cron ${expression}: exactly one of day-of-month and day-of-week must be '?'`);
  }
  const minuteOk = parseField(minutes, 'minutes', 0, 59);
  const hourOk = parseField(hours, 'hours', 0, 23);
  const domOk = dayOfMonth === '?' ? () => true : parseField(dayOfMonth, 'day-of-month', 1, 31);
  const monthOk = parseField(month, 'month', 1, 12);
  // EventBridge counts days of the week from 1 = Sunday.
  const dowOk = dayOfWeek === '?' ? () => true : parseField(dayOfWeek, 'day-of-week', 1, 7);
  const yearOk = parseField(year, 'year', 1970, LAST_YEAR);

  const dayOk = (d: Date) =>
    yearOk(d.getUTCFullYear()) && monthOk(d.getUTCMonth() + 1) && domOk(d.getUTCDate()) && dowOk(d.getUTCDay() + 1);

  return {
    expression,
    matches(date) {
      return date.getTime() % MINUTE_MS === 0 && dayOk(date) && hourOk(date.getUTCHours()) && minuteOk(date.getUTCMinutes());
    },
    next(after) {
      let t = Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
      // Skips whole days and hours that cannot match, so even a yearly expression is quick.
      while (new Date(t).getUTCFullYear() <= LAST_YEAR) {
        const d = new Date(t);
        if (!dayOk(d)) t = Math.floor(t / DAY_MS) * DAY_MS + DAY_MS;
        else if (!hourOk(d.getUTCHours())) t = Math.floor(t / HOUR_MS) * HOUR_MS + HOUR_MS;
        else if (!minuteOk(d.getUTCMinutes())) t += MINUTE_MS;
        else return d;
      }
      return null;
    },
  };
}

/** Fire times in (from, to], oldest first. */
export function cronFiresBetween(schedule: CronSchedule, from: Date, to: Date): Date[] {
  const fires: Date[] = [];
  for (let next = schedule.next(from); next && next.getTime() <= to.getTime(); next = schedule.next(next)) fires.push(next);
  return fires;
}
