import type { CallContext } from './context.ts';
import { withAttributes, recordUrl } from './context.ts';
import { describeGlobal, describeObject, objectInfo } from './describe.ts';
import { apiError, asHttpError } from './errors.ts';
import { createRecord, externalIdField, updateRecord, upsertRecord } from './dml.ts';
import { isPlainObject, notFound, type Reply } from './http.ts';
import { normalizeId } from './ids.ts';
import { findField, type SObjectDef } from './schemas.ts';
import type { Org } from './store.ts';

export function methodNotAllowed(method: string, allowed: string[]): never {
  throw apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are ${allowed.join(',')}`);
}

export function requireObject(org: Org, name: string): SObjectDef {
  const def = org.schema.findObject(name);
  if (!def) throw apiError(404, 'NOT_FOUND', `The requested resource does not exist`);
  return def;
}

function requireBody(ctx: CallContext): Record<string, unknown> {
  if (!isPlainObject(ctx.body)) {
    throw apiError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object describing one record');
  }
  return ctx.body;
}

function selectFields(def: SObjectDef, param: string | null): string[] {
  if (param === null) return def.fields.map((f) => f.name);
  return param.split(',').map((name) => {
    const f = findField(def, name.trim());
    if (!f) throw apiError(400, 'INVALID_FIELD', `No such column '${name.trim()}' on entity '${def.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`);
    return f.name;
  });
}

function recordReply(ctx: CallContext, def: SObjectDef, row: Record<string, unknown>): Reply {
  const full = ctx.store.read(ctx.org, def, row);
  const picked = Object.fromEntries(selectFields(def, ctx.url.searchParams.get('fields')).map((name) => [name, full[name]]));
  return { status: 200, body: withAttributes(ctx.version, def, { ...picked, Id: full.Id }) };
}

function byId(ctx: CallContext, def: SObjectDef, raw: string): Reply {
  const id = normalizeId(raw);
  if (!id || ctx.org.schema.objectForId(id) !== def) {
    throw apiError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${raw}`);
  }
  const found = ctx.store.get(ctx.org, id);
  switch (ctx.method) {
    case 'GET':
      if (!found) throw notFound();
      return recordReply(ctx, def, found.row);
    case 'PATCH': {
      const result = updateRecord(ctx, def, id, requireBody(ctx));
      if (result.notFound) throw notFound();
      const [error] = result.errors;
      if (error) throw asHttpError(error);
      return { status: 204 };
    }
    case 'DELETE': {
      const fault = ctx.faults.errorFor('update', found?.row ?? {}, id);
      if (fault) throw asHttpError(fault);
      if (!ctx.store.remove(ctx.org, def, id)) throw apiError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
      return { status: 204 };
    }
    default:
      return methodNotAllowed(ctx.method, ['GET', 'PATCH', 'DELETE']);
  }
}

function byExternalId(ctx: CallContext, def: SObjectDef, fieldName: string, value: string): Reply {
  const f = externalIdField(def, fieldName);
  if (!f) throw apiError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${fieldName}`);
  if (ctx.method === 'GET') {
    const matches = ctx.store.matching(ctx.org, def, f.name, value);
    if (matches.length > 1) return { status: 300, body: matches.map((m) => recordUrl(ctx.version, def.name, m.Id)) };
    const [match] = matches;
    if (!match) throw notFound();
    return recordReply(ctx, def, match);
  }
  if (ctx.method !== 'PATCH') return methodNotAllowed(ctx.method, ['GET', 'PATCH']);
  const result = upsertRecord(ctx, def, f, value, requireBody(ctx));
  if (result.multiple) return { status: 300, body: result.multiple.map((id) => recordUrl(ctx.version, def.name, id)) };
  const [error] = result.errors;
  if (error) throw asHttpError(error);
  const body = { id: result.id, success: true, errors: [], created: result.created === true };
  return { status: result.created ? 201 : 200, body };
}

/** Everything under `sobjects/`. */
export function sobjectsRoute(ctx: CallContext, segments: string[]): Reply {
  const [name, second, third, ...extra] = segments;
  if (name === undefined) {
    if (ctx.method !== 'GET') return methodNotAllowed(ctx.method, ['GET']);
    return { status: 200, body: describeGlobal(ctx.version, ctx.org.schema) };
  }
  const def = requireObject(ctx.org, name);
  if (second === undefined) {
    if (ctx.method === 'GET') return { status: 200, body: objectInfo(ctx.version, def) };
    if (ctx.method !== 'POST') return methodNotAllowed(ctx.method, ['GET', 'POST']);
    const result = createRecord(ctx, def, requireBody(ctx));
    const [error] = result.errors;
    if (error) throw asHttpError(error);
    return { status: 201, body: { id: result.id, success: true, errors: [] } };
  }
  if (extra.length) throw notFound();
  if (third !== undefined) return byExternalId(ctx, def, second, third);
  if (second === 'describe') {
    if (ctx.method !== 'GET') return methodNotAllowed(ctx.method, ['GET']);
    return { status: 200, body: describeObject(ctx.version, def, ctx.org.schema) };
  }
  return byId(ctx, def, second);
}
