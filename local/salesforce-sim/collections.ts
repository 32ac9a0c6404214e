import type { CallContext } from './context.ts';
import { createRecord, externalIdField, updateRecord, upsertRecord, type SaveResult } from './dml.ts';
import { apiError, recordError } from './errors.ts';
import { isPlainObject, type Reply } from './http.ts';
import type { FieldDef, SObjectDef } from './schemas.ts';
import type { Org } from './store.ts';
import { sameValue } from './values.ts';
import { methodNotAllowed, requireObject } from './sobjects.ts';

const MAX_RECORDS = 200;

const ROLLED_BACK = recordError(
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  'Record rolled back because not all records were valid and the request was using AllOrNone header',
);

interface Batch {
  allOrNone: boolean;
  records: Array<Record<string, unknown>>;
}

function readBatch(body: unknown): Batch {
  if (!isPlainObject(body) || !Array.isArray(body.records)) {
    throw apiError(400, 'JSON_PARSER_ERROR', 'The request body must be {"allOrNone": boolean, "records": [...]}');
  }
  if (body.allOrNone !== undefined && typeof body.allOrNone !== 'boolean') {
    throw apiError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of boolean from allOrNone value ${JSON.stringify(body.allOrNone)}`);
  }
  if (body.records.length > MAX_RECORDS) {
    throw apiError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_RECORDS} records into this call`);
  }
  if (!body.records.every(isPlainObject)) throw apiError(400, 'JSON_PARSER_ERROR', 'Each element of records must be a JSON object');
  return { allOrNone: body.allOrNone === true, records: body.records };
}

/** The concrete type a collection record names in `attributes.type`. */
function recordType(org: Org, record: Record<string, unknown>): SObjectDef | SaveResult {
  const attributes = record.attributes;
  const type = isPlainObject(attributes) ? attributes.type : undefined;
  if (typeof type !== 'string') return { success: false, errors: [recordError('INVALID_TYPE', 'Must send a concrete entity type.')] };
  const def = org.schema.findObject(type);
  if (!def) return { success: false, errors: [recordError('INVALID_TYPE', `sObject type '${type}' is not supported.`)] };
  return def;
}

const isResult = (value: SObjectDef | SaveResult): value is SaveResult => 'success' in value;

function withoutAttributes(record: Record<string, unknown>): Record<string, unknown> {
  const { attributes: _ignored, ...rest } = record;
  return rest;
}

/** Runs each record in order; allOrNone keeps nothing unless every record succeeded. */
function runBatch(ctx: CallContext, batch: Batch, one: (record: Record<string, unknown>, index: number) => SaveResult): Reply {
  const results = ctx.store.atomically(ctx.org, () => {
    const out = batch.records.map(one);
    const anyFailed = out.some((r) => !r.success);
    if (batch.allOrNone && anyFailed) {
      return { commit: false, value: out.map((r) => (r.success ? { success: false, errors: [ROLLED_BACK] } : r)) };
    }
    return { commit: true, value: out };
  });
  return { status: 200, body: results };
}

function create(ctx: CallContext): Reply {
  return runBatch(ctx, readBatch(ctx.body), (record) => {
    const def = recordType(ctx.org, record);
    return isResult(def) ? def : createRecord(ctx, def, withoutAttributes(record));
  });
}

function update(ctx: CallContext): Reply {
  return runBatch(ctx, readBatch(ctx.body), (record) => {
    const def = recordType(ctx.org, record);
    if (isResult(def)) return def;
    const { id, ...fields } = withoutAttributes(record);
    if (id === undefined) return { success: false, errors: [recordError('MISSING_ARGUMENT', 'Id not specified in an update call', ['Id'])] };
    const result = updateRecord(ctx, def, id, fields);
    return { ...(result.id ? { id: result.id } : {}), success: result.success, errors: result.errors };
  });
}

function externalIdOf(f: FieldDef, record: Record<string, unknown>): unknown {
  const key = Object.keys(record).find((k) => k.toLowerCase() === f.name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

function upsert(ctx: CallContext, def: SObjectDef, fieldName: string): Reply {
  const f = externalIdField(def, fieldName);
  if (!f) throw apiError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${fieldName}`);
  const batch = readBatch(ctx.body);
  // The same external id twice in one call fails both records, as Salesforce does.
  const values = batch.records.map((r) => externalIdOf(f, r));
  const repeated = (value: unknown, index: number) =>
    value !== undefined && value !== null && values.some((other, j) => j !== index && sameValue(f, other, value));
  return runBatch(ctx, batch, (record, index) => {
    const type = recordType(ctx.org, record);
    if (isResult(type)) return type;
    if (type !== def) {
      return { success: false, errors: [recordError('INVALID_TYPE', `Record type ${type.name} does not match the ${def.name} upsert`)] };
    }
    const value = values[index];
    if (repeated(value, index)) {
      return { success: false, errors: [recordError('DUPLICATE_EXTERNAL_ID', `Duplicate external id specified: ${String(value)}`, [f.name])] };
    }
    const result = upsertRecord(ctx, def, f, value, withoutAttributes(record));
    const { multiple: _m, notFound: _n, ...plain } = result;
    return plain;
  });
}

/** Everything under `composite/sobjects`. */
export function collectionsRoute(ctx: CallContext, segments: string[]): Reply {
  const [type, field, ...extra] = segments;
  if (type === undefined) {
    if (ctx.method === 'POST') return create(ctx);
    if (ctx.method === 'PATCH') return update(ctx);
    return methodNotAllowed(ctx.method, ['POST', 'PATCH']);
  }
  const def = requireObject(ctx.org, type);
  if (field === undefined || extra.length) {
    throw apiError(404, 'NOT_FOUND', 'The requested resource does not exist (retrieve collections are not simulated)');
  }
  if (ctx.method !== 'PATCH') return methodNotAllowed(ctx.method, ['PATCH']);
  return upsert(ctx, def, field);
}
