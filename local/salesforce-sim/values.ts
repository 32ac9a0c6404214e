import { RequestFailure, recordError, type RecordError } from './errors.ts';
import { normalizeId } from './ids.ts';
import { findField, isRequired, type FieldDef, type SObjectDef } from './schemas.ts';
import {
  formatSalesforceDateTime,
  inSalesforceDateTimeRange,
  isCalendarDay,
  isSalesforceEmail,
  parseSalesforceDateTime,
  SALESFORCE_DATETIME_MAX,
  SALESFORCE_DATETIME_MIN,
} from '../../shared/salesforce-values.ts';

/** Salesforce writes every dateTime back as `2026-11-22T13:14:00.000+0000`, whatever was sent. */
export function formatDateTime(ms: number): string {
  return formatSalesforceDateTime(ms).replace(/Z$/, '+0000');
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function parseDateTime(text: string): number | undefined {
  return parseSalesforceDateTime(text);
}

export function parseDate(text: string): string | undefined {
  const m = DATE.exec(text);
  return m && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3])) ? text : undefined;
}

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
      // Kept as a number until the per-record range check: out of range fails the record, not the call.
      return ms;
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
  /** The org has Email Address Internationalization on. */
  emailInternationalization?: boolean;
}

function checkValue(f: FieldDef, value: unknown, mode: WriteMode, ctx: WriteContext): RecordError | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string' && f.length > 0 && value.length > f.length) {
    const shown = value.length > 40 ? `${value.slice(0, 37)}(...)` : value;
    return recordError('STRING_TOO_LONG', `${f.label}: data value too large: ${shown} (max length=${f.length})`, [f.name]);
  }
  if (f.type === 'email' && typeof value === 'string' && !isSalesforceEmail(value, { internationalization: ctx.emailInternationalization === true })) {
    return recordError('INVALID_EMAIL_ADDRESS', `${f.label}: invalid email address: ${value}`, [f.name]);
  }
  if (f.type === 'datetime' && typeof value === 'number' && !inSalesforceDateTimeRange(value)) {
    // The range is documented (1700-01-01T00:00:00Z to 4000-12-31T00:00:00Z); the REST error code
    // is not. Apex DML reports FIELD_INTEGRITY_EXCEPTION for it, so the simulator does too.
    const bounds = `${formatDateTime(SALESFORCE_DATETIME_MIN)} to ${formatDateTime(SALESFORCE_DATETIME_MAX)}`;
    return recordError('FIELD_INTEGRITY_EXCEPTION', `${f.label}: dateTime out of range: ${formatDateTime(value)} (valid: ${bounds})`, [f.name]);
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
  if (f.type === 'datetime' && typeof value === 'number') return formatDateTime(value);
  // "Addresses are stored as lower case in Salesforce" (KB 000384328).
  if (f.type === 'email' && typeof value === 'string') return value.toLowerCase();
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
