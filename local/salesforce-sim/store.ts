import { newId, normalizeId } from './ids.ts';
import { buildSchema, type Schema, type SchemaVariant, type SObjectDef } from './schemas.ts';
import { formatDateTime, sameValue } from './values.ts';

export interface SimOrgConfig {
  orgId: string;
  username: string;
  clientId: string;
  refreshToken?: string;
  dailyApiLimit?: number;
  /** How this org differs from the package (a field missing, not an external id, ...); default: as deployed. */
  schema?: SchemaVariant;
  /** Email Address Internationalization (Setup): when on, email fields accept non-ASCII addresses. */
  emailInternationalization?: boolean;
  /**
   * Chatter REST API requests the integration user may make per hour before Salesforce answers
   * 503. Salesforce documents the limit but not its number, so tests set one; default: no limit.
   */
  chatterHourlyLimit?: number;
}

export interface CallLogEntry {
  method: string;
  path: string;
  status: number;
}

type Row = Record<string, unknown>;

export interface Org {
  orgId: string;
  userId: string;
  config: SimOrgConfig;
  schema: Schema;
  /** When each Chatter request of the last hour was made (ms), for the per-user hourly limit. */
  chatterRequests: number[];
  dailyApiLimit: number;
  apiUsed: number;
  callLog: CallLogEntry[];
  tables: Map<string, Map<string, Row>>;
  autoNumbers: Map<string, number>;
  /** Undo steps of the open all-or-none transaction, if any. */
  journal: Array<() => void> | null;
}

/** Records of every org, with the system fields Salesforce maintains itself. */
export class Store {
  readonly orgs = new Map<string, Org>();

  addOrg(config: SimOrgConfig): Org {
    const orgId = config.orgId.startsWith('00D') ? normalizeId(config.orgId) : undefined;
    if (!orgId || orgId !== config.orgId) throw new Error(`orgId must be an 18-character 00D... id with its checksum (${orgId ?? 'not an id'}), got ${config.orgId}`);
    if (this.find(orgId)) throw new Error(`org ${orgId} already added`);
    const org: Org = {
      orgId,
      userId: '',
      config: { ...config, orgId },
      schema: buildSchema(config.schema),
      chatterRequests: [],
      dailyApiLimit: config.dailyApiLimit ?? 100_000,
      apiUsed: 0,
      callLog: [],
      tables: new Map(),
      autoNumbers: new Map(),
      journal: null,
    };
    this.orgs.set(orgId, org);
    this.seedUser(org);
    return org;
  }

  private seedUser(org: Org): void {
    const user = org.schema.findObject('User') as SObjectDef;
    const [local = 'user'] = org.config.username.split('@');
    org.userId = this.insert(org, user, {
      Username: org.config.username,
      LastName: local,
      Email: org.config.username,
      IsActive: true,
    });
  }

  find(orgId: string): Org | undefined {
    // Either form of the id names the org.
    return this.orgs.get(normalizeId(orgId) ?? orgId);
  }

  org(orgId: string): Org {
    const org = this.find(orgId);
    if (!org) throw new Error(`unknown org ${orgId}`);
    return org;
  }

  /** Wipes records and counters; the org and its user stay. */
  reset(): void {
    for (const org of this.orgs.values()) {
      // The org's own user keeps its id, so identity URLs handed out earlier stay true.
      const user = org.tables.get('User')?.get(org.userId);
      org.tables.clear();
      org.autoNumbers.clear();
      org.apiUsed = 0;
      org.callLog = [];
      org.journal = null;
      org.chatterRequests = [];
      if (user) org.tables.set('User', new Map([[org.userId, user]]));
    }
  }

  table(org: Org, def: SObjectDef): Map<string, Row> {
    let table = org.tables.get(def.name);
    if (!table) {
      table = new Map();
      org.tables.set(def.name, table);
    }
    return table;
  }

  get(org: Org, id: unknown): { def: SObjectDef; row: Row } | undefined {
    const canonical = typeof id === 'string' ? normalizeId(id) : undefined;
    const def = canonical ? org.schema.objectForId(canonical) : undefined;
    const row = def && canonical ? org.tables.get(def.name)?.get(canonical) : undefined;
    return def && row ? { def, row } : undefined;
  }

  rows(org: Org, def: SObjectDef): Row[] {
    return [...(org.tables.get(def.name)?.values() ?? [])];
  }

  /** Records whose field equals the value under the field's own case rule. */
  matching(org: Org, def: SObjectDef, fieldName: string, value: unknown, exceptId?: string): Row[] {
    const f = def.byLowerName.get(fieldName.toLowerCase());
    if (!f || value === null || value === undefined) return [];
    return this.rows(org, def).filter((row) => row.Id !== exceptId && sameValue(f, row[f.name], value));
  }

  /** Full record as the API shows it: every field, computed ones included, no attributes. */
  read(org: Org, def: SObjectDef, row: Row): Row {
    const lookup = (id: unknown) => this.get(org, id)?.row;
    const out: Row = {};
    for (const f of def.fields) out[f.name] = f.compute ? f.compute(row, lookup) : (row[f.name] ?? null);
    return out;
  }

  insert(org: Org, def: SObjectDef, fields: Row, now = Date.now()): string {
    const stamp = formatDateTime(now);
    const row: Row = {};
    for (const f of def.fields) {
      if (f.defaultValue !== null) row[f.name] = f.defaultValue;
      if (f.autoNumber) row[f.name] = this.nextAutoNumber(org, def, f.name, f.autoNumber);
    }
    Object.assign(row, {
      CreatedDate: stamp,
      LastModifiedDate: stamp,
      SystemModstamp: stamp,
      CreatedById: org.userId || null,
      LastModifiedById: org.userId || null,
      IsDeleted: false,
    });
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) row[name] = value;
    const id = typeof row.Id === 'string' ? row.Id : newId(def.keyPrefix);
    row.Id = id;
    if (!row.CreatedById) row.CreatedById = row.LastModifiedById = id; // the org's first user created itself
    const table = this.table(org, def);
    if (table.has(id)) throw new Error(`record ${id} already exists`);
    table.set(id, row);
    org.journal?.push(() => table.delete(id));
    return id;
  }

  update(org: Org, def: SObjectDef, id: string, fields: Row, now = Date.now()): void {
    const table = this.table(org, def);
    const row = table.get(id);
    if (!row) throw new Error(`record ${id} not found`);
    const before = { ...row };
    org.journal?.push(() => table.set(id, before));
    const stamp = formatDateTime(now);
    table.set(id, { ...row, ...fields, LastModifiedDate: stamp, SystemModstamp: stamp, LastModifiedById: org.userId });
  }

  remove(org: Org, def: SObjectDef, id: string): boolean {
    const table = this.table(org, def);
    const row = table.get(id);
    if (!row) return false;
    table.delete(id);
    org.journal?.push(() => table.set(id, row));
    return true;
  }

  /** Runs the steps all-or-none: any thrown error or a false result rolls every write back. */
  atomically<T>(org: Org, run: () => { commit: boolean; value: T }): T {
    const outer = org.journal;
    const journal: Array<() => void> = [];
    org.journal = journal;
    try {
      const result = run();
      if (!result.commit) journal.reverse().forEach((undo) => undo());
      else outer?.push(...journal);
      return result.value;
    } catch (error) {
      journal.reverse().forEach((undo) => undo());
      throw error;
    } finally {
      org.journal = outer;
    }
  }

  private nextAutoNumber(org: Org, def: SObjectDef, field: string, spec: { format: string; start: number }): string {
    const key = `${def.name}.${field}`;
    const n = org.autoNumbers.get(key) ?? spec.start;
    org.autoNumbers.set(key, n + 1);
    // Auto numbers are not given back on rollback, as in Salesforce.
    return spec.format.replace(/\{(0+)\}/, (_, zeros: string) => String(n).padStart(zeros.length, '0'));
  }
}
