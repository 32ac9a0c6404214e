import { RequestFailure, recordError, type RecordError } from './errors.ts';
import { normalizeId } from './ids.ts';
import { findField, isRequired, type FieldDef, type SObjectDef } from './schemas.ts';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Salesforce writes every dateTime back as `2026-11-22T13:14:00.000+0000`, whatever was sent. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`
  );
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDay(y: number, m: number, d: number): boolean {
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
}

export function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
  const fraction = Math.floor(Number(`0${m[7] ?? ''}`) * 1000) || 0;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const digits = zone.replace(':', '');
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  return Date.UTC(y, mo - 1, d, h, mi, s, fraction) - offsetMinutes * 60_000;
}

export function parseDate(text: string): string | undefined {
  const m = DATE.exec(text);
  return m && validDay(Number(m[1]), Number(m[2]), Number(m[3])) ? text : undefined;
}

// Close to the check Salesforce applies: one @, no spaces, a dotted domain.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

function jsonToken(value: unknown): string {
  if (typeof value === 'string') return `VALUE_STRING value ${value}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `VALUE_NUMBER_INT value ${value}` : `VALUE_NUMBER_FLOAT value ${value}`;
  if (value === true) return 'VALUE_TRUE value true';
  if (value === false) return 'VALUE_FALSE value false';
  return Array.isArray(value) ? 'START_ARRAY' : 'START_OBJECT';
}

function parserError(javaType: string, value: unknown): RequestFailure {
  return new RequestFailure({
    errorCode: 'JSON_PARSER_ERROR',
    message: `Cannot deserialize instance of ${javaType} from ${jsonToken(value)} or request may be missing a required field`,
  });
}

const TEXTUAL = new Set<FieldDef['type']>(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'reference', 'id']);

/** JSON-level conversion; a failure here fails the whole request, as Salesforce's deserialiser does. */
function decode(f: FieldDef, value: unknown): unknown {
  if (value === null) return f.type === 'boolean' ? false : null;
  if (TEXTUAL.has(f.type)) {
    if (typeof value !== 'string') throw parserError('string', value);
    return value === '' ? null : value; // Salesforce stores an empty string as null
  }
  switch (f.type) {
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw parserError('double', value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw parserError('boolean', value);
      return value;
    case 'datetime': {
      const ms = typeof value === 'string' ? parseDateTime(value) : undefined;
      if (ms === undefined) throw parserError('datetime', value);
      return formatDateTime(ms);
    }
    case 'date': {
      const day = typeof value === 'string' ? parseDate(value) : undefined;
      if (day === undefined) throw parserError('date', value);
      return day;
    }
    default:
      throw parserError(f.type, value);
  }
}

export type WriteMode = 'create' | 'update' | 'seed';

export interface WriteContext {
  /** The object a stored record with this canonical id belongs to, if it exists. */
  existing(id: string): SObjectDef | undefined;
}

function checkValue(f: FieldDef, value: unknown, mode: WriteMode, ctx: WriteContext): RecordError | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string' && f.length > 0 && value.length > f.length) {
    const shown = value.length > 40 ? `${value.slice(0, 37)}(...)` : value;
    return recordError('STRING_TOO_LONG', `${f.label}: data value too large: ${shown} (max length=${f.length})`, [f.name]);
  }
  if (f.type === 'email' && typeof value === 'string' && !EMAIL.test(value)) {
    return recordError('INVALID_EMAIL_ADDRESS', `${f.label}: invalid email address: ${value}`, [f.name]);
  }
  if (f.type === 'picklist' && f.restrictedPicklist && !f.picklistValues.includes(String(value))) {
    return recordError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${f.label}: bad value for restricted picklist field: ${String(value)}`, [f.name]);
  }
  if (f.type === 'double' && typeof value === 'number' && Math.abs(value) >= 10 ** (f.precision - f.scale)) {
    return recordError('NUMBER_OUTSIDE_VALID_RANGE', `${f.label}: value outside of valid range on numeric field: ${value}`, [f.name]);
  }
  if (f.type === 'reference' || f.type === 'id') {
    const id = normalizeId(String(value));
    if (!id) return recordError('INVALID_CROSS_REFERENCE_KEY', `${f.label}: id value of incorrect type: ${String(value)}`, [f.name]);
    if (mode === 'seed' || f.type === 'id') return undefined;
    const owner = ctx.existing(id);
    if (!owner) return recordError('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [f.name]);
    if (!f.referenceTo.includes('*') && !f.referenceTo.includes(owner.name)) {
      return recordError('INVALID_CROSS_REFERENCE_KEY', `${f.label}: id value of incorrect type: ${id}`, [f.name]);
    }
  }
  return undefined;
}

function normalized(f: FieldDef, value: unknown): unknown {
  if (value === null) return null;
  if (f.type === 'reference' || f.type === 'id') return normalizeId(String(value));
  if (f.type === 'double' && typeof value === 'number') return Number(value.toFixed(f.scale));
  return value;
}

export type Validated = { ok: true; fields: Record<string, unknown> } | { ok: false; error: RecordError };

/**
 * Checks one record body against the object's schema. Returns canonical field names and stored
 * values, or the first per-record error; throws RequestFailure for JSON-level type mismatches.
 */
export function validateRecord(def: SObjectDef, input: Record<string, unknown>, mode: WriteMode, ctx: WriteContext): Validated {
  const decoded = new Map<FieldDef, unknown>();
  for (const [key, raw] of Object.entries(input)) {
    if (key === 'attributes') continue;
    const f = findField(def, key);
    if (!f || (f.compute && mode === 'seed')) {
      return { ok: false, error: recordError('INVALID_FIELD', `No such column '${key}' on sobject of type ${def.name}`) };
    }
    decoded.set(f, decode(f, raw));
  }
  if (mode !== 'seed') {
    const locked = [...decoded.keys()].filter((f) => (mode === 'create' ? !f.createable : !f.updateable)).map((f) => f.name);
    if (locked.length) {
      return {
        ok: false,
        error: recordError(
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Unable to create/update fields: ${locked.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          locked,
        ),
      };
    }
    const missing =
      mode === 'create'
        ? def.fields.filter((f) => isRequired(f) && (decoded.get(f) ?? null) === null)
        : [...decoded].filter(([f, v]) => v === null && !f.nillable && f.type !== 'boolean').map(([f]) => f);
    if (missing.length) {
      const names = missing.map((f) => f.name);
      return { ok: false, error: recordError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${names.join(', ')}]`, names) };
    }
  }
  const fields: Record<string, unknown> = {};
  for (const [f, value] of decoded) {
    const error = checkValue(f, value, mode, ctx);
    if (error) return { ok: false, error };
    fields[f.name] = normalized(f, value);
  }
  return { ok: true, fields };
}

/** Value equality as unique indexes and external-id matching see it. */
export function sameValue(f: FieldDef, a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string' && !f.caseSensitive && f.type !== 'id' && f.type !== 'reference') {
    return a.toLowerCase() === b.toLowerCase();
  }
  return a === b;
}
