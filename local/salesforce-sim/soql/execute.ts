import { normalizeId } from '../ids.ts';
import type { FieldDef, SObjectDef } from '../schemas.ts';
import type { Org, Store } from '../store.ts';
import { parseDateTime } from '../values.ts';
import { queryError } from './lexer.ts';
import { parseSoql, type Condition, type FieldRef, type Literal } from './parser.ts';

type Row = Record<string, unknown>;

/** A resolved field path: reference hops, then the field read on the last object. */
interface Path {
  hops: FieldDef[];
  field: FieldDef;
  names: string[];
  targets: SObjectDef[];
}

export interface QueryResult {
  totalSize: number;
  records: Row[];
}

const DAY = 86_400_000;
const MAX_OFFSET = 2000;
const TEXT_TYPES = new Set<FieldDef['type']>(['string', 'textarea', 'email', 'phone', 'url', 'picklist']);
const FIELD_HINT =
  "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";

class Executor {
  // Full reads (computed fields included) are reused across conditions, ORDER BY and output.
  private readonly fullRows = new Map<Row, Row>();

  constructor(
    private readonly soql: string,
    private readonly store: Store,
    private readonly org: Org,
  ) {}

  private invalidField(pos: number, detail: string): never {
    throw queryError('INVALID_FIELD', this.soql, pos, detail);
  }

  resolve(root: SObjectDef, ref: FieldRef): Path {
    let def = root;
    const hops: FieldDef[] = [];
    const names: string[] = [];
    const targets: SObjectDef[] = [];
    for (const part of ref.path.slice(0, -1)) {
      const rel = def.byLowerRelationship.get(part.toLowerCase());
      if (!rel || !rel.relationshipName) {
        this.invalidField(ref.pos, `Didn't understand relationship '${part}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`);
      }
      if (rel.referenceTo.includes('*')) {
        this.invalidField(ref.pos, `polymorphic relationship '${rel.relationshipName}' is not supported by the Salesforce simulator`);
      }
      hops.push(rel);
      names.push(rel.relationshipName);
      def = this.org.schema.findObject(rel.referenceTo[0] as string) as SObjectDef;
      targets.push(def);
    }
    const last = ref.path[ref.path.length - 1] as string;
    const field = def.byLowerName.get(last.toLowerCase());
    if (!field) this.invalidField(ref.pos, `No such column '${last}' on entity '${def.name}'. ${FIELD_HINT}`);
    names.push(field.name);
    return { hops, field, names, targets };
  }

  /** Reads a path from a stored row, following lookups; computed fields included. */
  full(def: SObjectDef, row: Row): Row {
    let full = this.fullRows.get(row);
    if (!full) {
      full = this.store.read(this.org, def, row);
      this.fullRows.set(row, full);
    }
    return full;
  }

  /** The record at the end of each reference hop (undefined once a lookup is empty). */
  chain(def: SObjectDef, row: Row, path: Path): Array<Row | undefined> {
    const out: Array<Row | undefined> = [this.full(def, row)];
    for (const hop of path.hops) {
      const parent = this.store.get(this.org, out[out.length - 1]?.[hop.name]);
      out.push(parent ? this.full(parent.def, parent.row) : undefined);
    }
    return out;
  }

  read(def: SObjectDef, row: Row, path: Path): unknown {
    return this.chain(def, row, path).at(-1)?.[path.field.name] ?? null;
  }

  private typeError(path: Path, lit: Literal, type: string, quoted: boolean): never {
    const name = path.names.join('.');
    const detail = quoted
      ? `value of filter criterion for field '${name}' must be of type ${type} and should be enclosed in quotes`
      : `value of filter criterion for field '${name}' must be of type ${type} and should not be enclosed in quotes`;
    this.invalidField(lit.pos, detail);
  }

  private dayRange(lit: Extract<Literal, { kind: 'dateLiteral' }>): [number, number] {
    const today = Math.floor(Date.now() / DAY) * DAY;
    switch (lit.name) {
      case 'TODAY':
        return [today, today + DAY];
      case 'YESTERDAY':
        return [today - DAY, today];
      case 'TOMORROW':
        return [today + DAY, today + 2 * DAY];
      case 'LAST_N_DAYS':
        return [today - lit.n * DAY, today + DAY];
      case 'NEXT_N_DAYS':
        return [today + DAY, today + (lit.n + 1) * DAY];
      default:
        return [today - lit.n * DAY, today - (lit.n - 1) * DAY];
    }
  }

  /**
   * The comparable form of a filter literal for this field: a string, number, boolean, null, or a
   * [start, end) millisecond range for dates. Refuses literals of the wrong type, like Salesforce.
   */
  operand(path: Path, lit: Literal, forLike = false): unknown {
    const f = path.field;
    if (!f.filterable) this.invalidField(lit.pos, `field '${f.name}' can not be filtered in query call`);
    if (lit.kind === 'null') return null;
    if (lit.kind === 'string' && lit.likeOnly && !forLike) {
      throw queryError('MALFORMED_QUERY', this.soql, lit.pos, `Invalid string literal. Illegal character sequence '\\%' or '\\_' outside a LIKE expression.`);
    }
    if (TEXT_TYPES.has(f.type)) {
      if (lit.kind !== 'string') this.typeError(path, lit, 'string', true);
      return lit.value.toLowerCase();
    }
    switch (f.type) {
      case 'id':
      case 'reference': {
        if (lit.kind !== 'string') this.typeError(path, lit, 'string', true);
        const id = normalizeId(lit.value);
        if (!id) throw queryError('INVALID_QUERY_FILTER_OPERATOR', this.soql, lit.pos, `invalid ID field: ${lit.value}`);
        return id;
      }
      case 'double':
        if (lit.kind !== 'number') this.typeError(path, lit, 'double', false);
        return lit.value;
      case 'boolean':
        if (lit.kind !== 'boolean') this.typeError(path, lit, 'boolean', false);
        return lit.value;
      case 'datetime':
        if (lit.kind === 'dateLiteral') return this.dayRange(lit);
        if (lit.kind !== 'datetime') this.typeError(path, lit, 'dateTime', false);
        return parseDateTime(lit.text) ?? this.typeError(path, lit, 'dateTime', false);
      case 'date': {
        if (lit.kind === 'dateLiteral') return this.dayRange(lit);
        if (lit.kind !== 'date') this.typeError(path, lit, 'date', false);
        const ms = parseDateTime(`${lit.text}T00:00:00Z`);
        return ms === undefined ? this.typeError(path, lit, 'date', false) : [ms, ms + DAY];
      }
      default:
        return this.typeError(path, lit, f.type, false);
    }
  }

  /** Stored value in the same comparable form as operand(). */
  comparable(f: FieldDef, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    if (TEXT_TYPES.has(f.type)) return String(value).toLowerCase();
    if (f.type === 'datetime') return parseDateTime(String(value)) ?? null;
    if (f.type === 'date') return parseDateTime(`${String(value)}T00:00:00Z`) ?? null;
    return value;
  }

  compile(root: SObjectDef, cond: Condition): (row: Row) => boolean {
    switch (cond.kind) {
      case 'and': {
        const parts = cond.items.map((c) => this.compile(root, c));
        return (row) => parts.every((p) => p(row));
      }
      case 'or': {
        const parts = cond.items.map((c) => this.compile(root, c));
        return (row) => parts.some((p) => p(row));
      }
      case 'not': {
        const inner = this.compile(root, cond.item);
        return (row) => !inner(row);
      }
      case 'like': {
        const path = this.resolve(root, cond.field);
        if (!TEXT_TYPES.has(path.field.type) || cond.value.kind !== 'string') {
          throw queryError('INVALID_QUERY_FILTER_OPERATOR', this.soql, cond.field.pos, `invalid operator on field '${path.names.join('.')}' of type ${path.field.type}: LIKE`);
        }
        this.operand(path, cond.value, true);
        const pattern = new RegExp(`^${cond.value.like}$`, 'is');
        return (row) => {
          const value = this.read(root, row, path);
          return typeof value === 'string' && pattern.test(value);
        };
      }
      case 'in': {
        const path = this.resolve(root, cond.field);
        const wanted = cond.values.map((v) => this.operand(path, v));
        const hit = (row: Row) => {
          const value = this.comparable(path.field, this.read(root, row, path));
          return wanted.some((w) => matchesEqual(value, w));
        };
        return cond.negate ? (row) => !hit(row) : hit;
      }
      case 'compare': {
        const path = this.resolve(root, cond.field);
        const operand = this.operand(path, cond.value);
        if (operand === null && cond.op !== '=' && cond.op !== '!=') {
          throw queryError('MALFORMED_QUERY', this.soql, cond.value.pos, `invalid operator on null: ${cond.op}`);
        }
        if (cond.op !== '=' && cond.op !== '!=' && path.field.type === 'boolean') {
          throw queryError('INVALID_QUERY_FILTER_OPERATOR', this.soql, cond.field.pos, `invalid operator on boolean field: ${cond.op}`);
        }
        return (row) => compare(this.comparable(path.field, this.read(root, row, path)), cond.op, operand);
      }
    }
  }
}

function matchesEqual(value: unknown, operand: unknown): boolean {
  if (Array.isArray(operand)) return typeof value === 'number' && value >= operand[0] && value < operand[1];
  return value === operand;
}

function compare(value: unknown, op: string, operand: unknown): boolean {
  if (op === '=') return matchesEqual(value, operand);
  if (op === '!=') return !matchesEqual(value, operand);
  if (value === null) return false;
  const [low, high] = Array.isArray(operand) ? (operand as [number, number]) : [operand, operand];
  const v = value as number | string;
  switch (op) {
    case '<':
      return v < (low as number | string);
    case '<=':
      return Array.isArray(operand) ? (v as number) < (high as number) : v <= (high as number | string);
    case '>':
      return Array.isArray(operand) ? (v as number) >= (high as number) : v > (high as number | string);
    default:
      return v >= (low as number | string);
  }
}

function sortKey(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return typeof value === 'string' ? value.toLowerCase() : (value as number);
}

function setPath(target: Row, version: string, path: Path, value: unknown, parentIds: unknown[]): void {
  let node = target;
  for (const [i, hop] of path.hops.entries()) {
    const key = hop.relationshipName as string;
    const id = parentIds[i];
    if (id === null || id === undefined) {
      node[key] = null;
      return;
    }
    const type = (path.targets[i] as SObjectDef).name;
    if (!node[key]) node[key] = { attributes: { type, url: `/services/data/v${version}/sobjects/${type}/${String(id)}` } };
    node = node[key] as Row;
  }
  node[path.field.name] = value;
}

/** Parses, checks against the schema and runs one SOQL query for one org. */
export function runQuery(soql: string, store: Store, org: Org, version: string): QueryResult {
  if (soql.length > 100_000) throw queryError('MALFORMED_QUERY', soql, 0, 'Query is too long: the maximum length is 100,000 characters');
  const query = parseSoql(soql);
  const root = org.schema.findObject(query.from.name);
  if (!root) {
    throw queryError(
      'INVALID_TYPE',
      soql,
      query.from.pos,
      `sObject type '${query.from.name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  const exec = new Executor(soql, store, org);
  const selected = query.fields.map((ref) => ({ ref, path: exec.resolve(root, ref) }));
  const seen = new Set<string>();
  for (const { ref, path } of selected) {
    const key = path.names.join('.').toLowerCase();
    if (seen.has(key)) throw queryError('MALFORMED_QUERY', soql, ref.pos, `duplicate field selected: ${path.names.join('.')}`);
    seen.add(key);
  }
  const where = query.where ? exec.compile(root, query.where) : () => true;
  const order = query.orderBy.map((item) => {
    const path = exec.resolve(root, item.field);
    if (!path.field.filterable) throw queryError('INVALID_FIELD', soql, item.field.pos, `field '${path.field.name}' can not be sorted in a query call`);
    return { ...item, path };
  });
  if ((query.offset ?? 0) > MAX_OFFSET) {
    throw queryError('NUMBER_OUTSIDE_VALID_RANGE', soql, 0, `Maximum SOQL offset allowed is ${MAX_OFFSET}`);
  }
  let rows = store.rows(org, root).filter(where);
  if (order.length) {
    const keyed = rows.map((row) => ({ row, keys: order.map((o) => sortKey(exec.read(root, row, o.path))) }));
    keyed.sort((a, b) => {
      for (const [i, o] of order.entries()) {
        const x = a.keys[i] ?? null;
        const y = b.keys[i] ?? null;
        if (x === y) continue;
        if (x === null) return o.nullsLast ? 1 : -1;
        if (y === null) return o.nullsLast ? -1 : 1;
        const cmp = x < y ? -1 : 1;
        return o.descending ? -cmp : cmp;
      }
      return 0;
    });
    rows = keyed.map((k) => k.row);
  }
  rows = rows.slice(query.offset ?? 0, query.limit === undefined ? undefined : (query.offset ?? 0) + query.limit);
  if (query.count) return { totalSize: rows.length, records: [] };
  const records = rows.map((row) => {
    const out: Row = { attributes: { type: root.name, url: `/services/data/v${version}/sobjects/${root.name}/${String(row.Id)}` } };
    for (const { path } of selected) {
      const chain = exec.chain(root, row, path);
      const parentIds = path.hops.map((hop, i) => chain[i]?.[hop.name] ?? null);
      setPath(out, version, path, chain.at(-1)?.[path.field.name] ?? null, parentIds);
    }
    return out;
  });
  return { totalSize: records.length, records };
}
