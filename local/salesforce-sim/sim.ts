import { CreateRaces } from './races.ts';
import type { SimState } from './context.ts';
import { RequestFailure } from './errors.ts';
import { FaultBook, type FaultKind, type FaultSpec } from './faults.ts';
import { TokenBook } from './oauth.ts';
import type { SObjectDef } from './schemas.ts';
import type { Org } from './store.ts';
import { Store, type CallLogEntry, type SimOrgConfig } from './store.ts';
import { validateRecord } from './values.ts';

/** The in-process control surface shared by the TypeScript API and the `/__sim` endpoints. */
export class Simulator {
  readonly state: SimState;

  constructor() {
    this.state = { store: new Store(), faults: new FaultBook(), tokens: new TokenBook(), cursors: new Map(), baseUrl: '', races: new CreateRaces() };
  }

  private object(org: Org, sobject: string): SObjectDef {
    const def = org.schema.findObject(sobject);
    if (!def) throw new Error(`unknown sObject ${sobject}`);
    return def;
  }

  addOrg(org: SimOrgConfig): void {
    this.state.store.addOrg(org);
  }

  /**
   * Stores a record without an API call. Field names and value types are checked; required,
   * createable, uniqueness and lookup-existence rules are not, so tests can build states the API
   * would refuse (system dates in the past, duplicate external ids).
   */
  seed(orgId: string, sobject: string, fields: Record<string, unknown>): string {
    const store = this.state.store;
    const org = store.org(orgId);
    const def = this.object(org, sobject);
    let checked;
    try {
      checked = validateRecord(def, fields, 'seed', { existing: (id) => store.get(org, id)?.def });
    } catch (error) {
      if (error instanceof RequestFailure) throw new Error(`seed ${def.name}: ${error.error.message}`);
      throw error;
    }
    if (!checked.ok) throw new Error(`seed ${def.name}: ${checked.error.statusCode}: ${checked.error.message}`);
    const id = checked.fields.Id;
    if (typeof id === 'string' && !id.startsWith(def.keyPrefix)) throw new Error(`seed ${def.name}: Id ${id} lacks key prefix ${def.keyPrefix}`);
    return store.insert(org, def, checked.fields);
  }

  records(orgId: string, sobject: string): Array<Record<string, unknown>> {
    const store = this.state.store;
    const org = store.org(orgId);
    const def = this.object(org, sobject);
    return store.rows(org, def).map((row) => store.read(org, def, row));
  }

  apiCalls(orgId: string): number {
    return this.state.store.org(orgId).callLog.length;
  }

  callLog(orgId: string): CallLogEntry[] {
    return this.state.store.org(orgId).callLog.map((entry) => ({ ...entry }));
  }

  injectFault(fault: FaultSpec): void {
    this.state.faults.inject(fault);
  }

  clearFaults(orgId?: string, fault?: FaultKind): void {
    this.state.faults.clear(orgId, fault);
  }

  /**
   * An admin revoked the org's connected-app access (or the refresh token expired): its access
   * tokens stop working and the refresh token answers invalid_grant; `next`, when given, is the
   * refresh token a new authorisation issued.
   */
  revokeRefreshToken(orgId: string, next?: string): void {
    const org = this.state.store.org(orgId);
    this.state.tokens.expireOrg(org.orgId);
    org.config = { ...org.config, refreshToken: next };
  }

  pendingFaults(): FaultSpec[] {
    return this.state.faults.pending();
  }

  setApiUsage(orgId: string, used: number): void {
    if (!Number.isInteger(used) || used < 0) throw new Error('used must be a non-negative integer');
    this.state.store.org(orgId).apiUsed = used;
  }

  /** Sets (or, with undefined, lifts) the org's Chatter requests-per-hour limit; the hour starts afresh. */
  setChatterHourlyLimit(orgId: string, limit: number | undefined): void {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new Error('limit must be a non-negative integer');
    const org = this.state.store.org(orgId);
    org.config = { ...org.config, chatterHourlyLimit: limit };
    org.chatterRequests = [];
  }

  reset(): void {
    this.state.store.reset();
    this.state.faults.clear();
    this.state.cursors.clear();
  }

  orgSummaries(): Array<Record<string, unknown>> {
    return [...this.state.store.orgs.values()].map((org) => ({
      orgId: org.orgId,
      username: org.config.username,
      clientId: org.config.clientId,
      userId: org.userId,
      apiCalls: org.callLog.length,
      apiUsage: org.apiUsed,
      dailyApiLimit: org.dailyApiLimit,
    }));
  }
}
