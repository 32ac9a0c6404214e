/**
 * Salesforce's documented rules for field values, in one place: the pipeline fits every value to
 * them before sending, and the simulator refuses what breaks them, so both read the same rule.
 */

/**
 * Salesforce counts text lengths in UTF-16 code units (an emoji outside the BMP counts 2;
 * Salesforce KB 005166849), which is exactly what a JavaScript string's `length` is.
 */
export function utf16Length(value: string): number {
  return value.length;
}

/**
 * The longest prefix of `value` that is at most `max` UTF-16 code units, never ending in the
 * first half of a surrogate pair (which would leave half an emoji). `cut` says whether anything
 * was dropped.
 */
export function fitUtf16(value: string, max: number): { value: string; cut: boolean } {
  if (value.length <= max) return { value, cut: false };
  let end = Math.max(0, max);
  const last = value.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return { value: value.slice(0, end), cut: true };
}

// Local part: the characters Salesforce KB 000001145 lists (letters, digits, !#$%&'*/=?^_+-`{|}~
// and the dot). Domain: letters, digits, the dash, labels separated by dots.
const LOCAL_ASCII = /^[A-Za-z0-9!#$%&'*/=?^_+`{|}~.-]+$/;
const DOMAIN_LABEL_ASCII = /^[A-Za-z0-9-]+$/;
// With Email Address Internationalization, letters and digits of any script are allowed too.
const LOCAL_EAI = /^[\p{L}\p{M}\p{N}!#$%&'*/=?^_+`{|}~.-]+$/u;
const DOMAIN_LABEL_EAI = /^[\p{L}\p{M}\p{N}-]+$/u;
// KB 000001145: comments in matched parentheses are allowed in either part and ignored.
const COMMENT = /\([^()]*\)/g;

export interface EmailRules {
  /** Email Address Internationalization is on in the org (Setup > Email Address Internationalization). */
  internationalization?: boolean;
}

/**
 * Whether an email field accepts the address, as Salesforce checks it (KB 000001145 and
 * KB 000384328): one @; a local part of the listed characters that does not start with a dot
 * (consecutive dots and a trailing dot are accepted); a domain of letters, digits and dashes in
 * dot-separated labels, so `_` in the domain is refused; non-ASCII only with Email Address
 * Internationalization. Undocumented, decided here: at least two domain labels and no empty label
 * (`a@b`, `a@b..c` refused). The field's length (80) is checked separately.
 */
export function isSalesforceEmail(value: string, rules: EmailRules = {}): boolean {
  const address = value.replace(COMMENT, '');
  const at = address.indexOf('@');
  if (at <= 0 || at !== address.lastIndexOf('@')) return false;
  const local = address.slice(0, at);
  const labels = address.slice(at + 1).split('.');
  const [localRule, labelRule] = rules.internationalization ? [LOCAL_EAI, DOMAIN_LABEL_EAI] : [LOCAL_ASCII, DOMAIN_LABEL_ASCII];
  if (local.startsWith('.') || !localRule.test(local)) return false;
  return labels.length >= 2 && labels.every((label) => labelRule.test(label));
}

/** Earliest and latest instants a Salesforce dateTime can hold (SOQL and SOSL Reference, "Date Formats and Date Literals"). */
export const SALESFORCE_DATETIME_MIN = Date.UTC(1700, 0, 1);
export const SALESFORCE_DATETIME_MAX = Date.UTC(4000, 11, 31);

/** Whether an instant (ms since the epoch) is within what a Salesforce dateTime field holds. */
export function inSalesforceDateTimeRange(ms: number): boolean {
  return ms >= SALESFORCE_DATETIME_MIN && ms <= SALESFORCE_DATETIME_MAX;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `yyyy-MM-ddTHH:mm:ss.SSSZ`, the form Salesforce documents for dateTime values, in UTC. */
export function formatSalesforceDateTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`
  );
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Milliseconds for a UTC calendar time; years 0-99 mean those years, not 1900-1999 as Date.UTC has it. */
export function utcMillis(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  date.setUTCFullYear(y, mo - 1, d);
  return date.getTime();
}

/** Whether y-m-d is a day of the calendar (no 31 April, no 29 February 2027). */
export function isCalendarDay(y: number, m: number, d: number): boolean {
  const probe = new Date(utcMillis(y, m, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
}

/**
 * Parses a dateTime the way Salesforce's REST API reads one (`yyyy-MM-ddTHH:mm(:ss(.SSS))(Z|±HH(:)mm)`;
 * no zone means UTC); undefined when it is not one. The range is not checked here.
 */
export function parseSalesforceDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (!isCalendarDay(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
  const fraction = Math.floor(Number(`0${m[7] ?? ''}`) * 1000) || 0;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const digits = zone.replace(':', '');
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  return utcMillis(y, mo, d, h, mi, s, fraction) - offsetMinutes * 60_000;
}

/** URL fields hold at most 255 characters (a standard limit of every URL field Salesforce documents). */
export const URL_FIELD_MAX = 255;
