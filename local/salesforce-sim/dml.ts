import type { CreateRaces } from './races.ts';
import { recordError, type RecordError } from './errors.ts';
import type { RecordFaults } from './faults.ts';
import { normalizeId } from './ids.ts';
import { findField, type FieldDef, type SObjectDef } from './schemas.ts';
import type { Org, Store } from './store.ts';
import { sameValue, validateRecord, type WriteContext } from './values.ts';

export interface DmlContext {
  store: Store;
  org: Org;
  faults: RecordFaults;
  /** The call's transaction, for upserts racing another call to create one external id. */
  race?: { races: CreateRaces; start: number };
}

export interface SaveResult {
  id?: string;
  success: boolean;
  errors: RecordError[];
  created?: boolean;
}

export type UpsertResult = SaveResult & { notFound?: boolean; multiple?: string[] };

const NO_FAULTS = { errorFor: () => undefined, losesCreateRace: () => false, finish: () => undefined } as unknown as RecordFaults;

const failed = (error: RecordError, id?: string): SaveResult =>
  id ? { id, success: false, errors: [error] } : { success: false, errors: [error] };

function writeContext(ctx: DmlContext): WriteContext {
  return { existing: (id) => ctx.store.get(ctx.org, id)?.def, emailInternationalization: ctx.org.config.emailInternationalization === true };
}

function uniquenessError(ctx: DmlContext, def: SObjectDef, fields: Record<string, unknown>, selfId?: string): RecordError | undefined {
  for (const f of def.fields) {
    if (!f.unique || fields[f.name] === undefined || fields[f.name] === null) continue;
    const [clash] = ctx.store.matching(ctx.org, def, f.name, fields[f.name], selfId);
    if (clash) return recordError('DUPLICATE_VALUE', `duplicate value found: ${f.name} duplicates value on record with id: ${String(clash.Id)}`);
  }
  return undefined;
}

export function createRecord(ctx: DmlContext, def: SObjectDef, body: Record<string, unknown>): SaveResult {
  if (!def.createable) {
    return failed(recordError('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `entity type ${def.name} does not support insert in this simulator`));
  }
  if (Object.keys(body).some((k) => k.toLowerCase() === 'id')) {
    return failed(recordError('INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id']));
  }
  const checked = validateRecord(def, body, 'create', writeContext(ctx));
  if (!checked.ok) return failed(checked.error);
  const fault = ctx.faults.errorFor('create', body);
  if (fault) return failed(fault);
  const duplicate = uniquenessError(ctx, def, checked.fields);
  if (duplicate) return failed(duplicate);
  return { id: ctx.store.insert(ctx.org, def, checked.fields), success: true, errors: [] };
}

export function updateRecord(
  ctx: DmlContext,
  def: SObjectDef,
  rawId: unknown,
  body: Record<string, unknown>,
  faultMatchFields: Record<string, unknown> = body,
): UpsertResult {
  const id = typeof rawId === 'string' ? normalizeId(rawId) : undefined;
  if (!id) return { ...failed(recordError('MALFORMED_ID', `${def.label} ID: id value of incorrect type: ${String(rawId)}`, ['Id'])), notFound: true };
  if (ctx.org.schema.objectForId(id) !== def || !ctx.store.get(ctx.org, id)) {
    return { ...failed(recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id'), id), notFound: true };
  }
  const rest = Object.fromEntries(Object.entries(body).filter(([k]) => k.toLowerCase() !== 'id'));
  const checked = validateRecord(def, rest, 'update', writeContext(ctx));
  if (!checked.ok) return failed(checked.error, id);
  const fault = ctx.faults.errorFor('update', faultMatchFields, id);
  if (fault) return failed(fault, id);
  const duplicate = uniquenessError(ctx, def, checked.fields, id);
  if (duplicate) return failed(duplicate, id);
  ctx.store.update(ctx.org, def, id, checked.fields);
  return { id, success: true, errors: [] };
}

/** Upsert by an external-id field: update the one match, create when none, refuse when several. */
export function upsertRecord(
  ctx: DmlContext,
  def: SObjectDef,
  extField: FieldDef,
  extValue: unknown,
  body: Record<string, unknown>,
): UpsertResult {
  if (extValue === undefined || extValue === null || extValue === '') {
    return failed(recordError('MISSING_ARGUMENT', `${extField.name} not specified`));
  }
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (findField(def, key) !== extField) rest[key] = value;
    else if (!sameValue(extField, value, extValue)) {
      return failed(recordError('INVALID_FIELD', `The value of ${extField.name} in the body does not match the external id ${String(extValue)}`, [extField.name]));
    }
  }
  const matches = ctx.store.matching(ctx.org, def, extField.name, extValue);
  if (matches.length > 1) {
    const ids = matches.map((m) => String(m.Id));
    return {
      ...failed(recordError('DUPLICATE_EXTERNAL_ID', `${extField.name}: more than one record found for external id field: [${ids.join(', ')}]`, [extField.name])),
      multiple: ids,
    };
  }
  const [match] = matches;
  const race = ctx.race;
  if (match && race && extField.unique && race.races.createdSince(ctx.org.orgId, def.name, extField, extValue, race.start)) {
    // This call's lookup ran before the other call's create committed: its insert loses on the unique index.
    race.races.losses++;
    return failed(recordError('DUPLICATE_VALUE', `duplicate value found: ${extField.name} duplicates value on record with id: ${String(match.Id)}`, []));
  }
  if (match) return { ...updateRecord(ctx, def, match.Id, rest, { ...rest, [extField.name]: extValue }), created: false };
  const body2 = { ...rest, [extField.name]: extValue };
  if (ctx.faults.losesCreateRace(body2)) {
    // The concurrent upsert's record: created as it would have been, outside this call's transaction.
    const winner = createRecord({ ...ctx, faults: NO_FAULTS }, def, body2);
    if (winner.success && winner.id) {
      ctx.org.journal?.pop();
      return failed(recordError('DUPLICATE_VALUE', `duplicate value found: ${extField.name} duplicates value on record with id: ${winner.id}`, []));
    }
  }
  const created = createRecord(ctx, def, body2);
  if (created.success) race?.races.created(ctx.org.orgId, def.name, extField, extValue);
  return created.success ? { ...created, created: true } : created;
}

/** External-id fields an upsert may key on, by the name given in the URL. */
export function externalIdField(def: SObjectDef, name: string): FieldDef | undefined {
  const f = findField(def, name);
  return f && f.externalId ? f : undefined;
}
