import type { AddressInfo } from 'node:net';
import type { FaultKind, FaultSpec } from './faults.ts';
import { normalizeId } from './ids.ts';
import { createSimServer } from './server.ts';
import { Simulator } from './sim.ts';
import type { SimOrgConfig } from './store.ts';

export type { FaultKind, FaultSpec } from './faults.ts';
export type { CallLogEntry, SimOrgConfig } from './store.ts';
export type { SchemaVariant } from './schemas.ts';

export interface SalesforceSim {
  /** e.g. http://127.0.0.1:PORT, both the login URL and every org's instance URL */
  url: string;
  addOrg(org: SimOrgConfig): void;
  /** Stores a record directly (no API call counted); returns the new Id. */
  seed(orgId: string, sobject: string, fields: Record<string, unknown>): string;
  /** Stored records, every field (computed ones included), no `attributes`. */
  records(orgId: string, sobject: string): Array<Record<string, unknown>>;
  apiCalls(orgId: string): number;
  /** Every counted call in order; `status` is the HTTP status the sim answered. */
  callLog(orgId: string): Array<{ method: string; path: string; status: number }>;
  injectFault(fault: FaultSpec): void;
  /** Disarms every fault, or those aimed at one org (of one kind, when given). */
  clearFaults(orgId?: string, fault?: FaultKind): void;
  /** The org's access tokens stop working and its refresh token answers invalid_grant; `next` is a newly issued one. */
  revokeRefreshToken(orgId: string, next?: string): void;
  /** Faults not yet used up, with their remaining `times`. */
  pendingFaults(): FaultSpec[];
  setApiUsage(orgId: string, used: number): void;
  /** Chatter requests the org's user may make per hour before 503 (undefined: no limit). */
  setChatterHourlyLimit(orgId: string, limit: number | undefined): void;
  /** How long an upsert's transaction stays open (ms, default 0): overlapping upserts creating one external id race (races.ts). */
  setUpsertWindow(ms: number): void;
  /** Records answered DUPLICATE_VALUE because a concurrent upsert created their external id first. */
  raceLosses(): number;
  /** Wipes records, counters, faults and query cursors; orgs, their users and tokens stay. */
  reset(): void;
  stop(): Promise<void>;
}

/** The 18-character form of a 15-character id (what Salesforce returns), for building test ids. */
export function id18(id: string): string {
  const canonical = normalizeId(id);
  if (!canonical) throw new Error(`not a Salesforce id: ${id}`);
  return canonical;
}

export async function startSalesforceSim(options: { port?: number; host?: string } = {}): Promise<SalesforceSim> {
  const host = options.host ?? '127.0.0.1';
  const sim = new Simulator();
  const server = createSimServer(sim);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  sim.state.baseUrl = url;
  return {
    url,
    addOrg: (org) => sim.addOrg(org),
    seed: (orgId, sobject, fields) => sim.seed(orgId, sobject, fields),
    records: (orgId, sobject) => sim.records(orgId, sobject),
    apiCalls: (orgId) => sim.apiCalls(orgId),
    callLog: (orgId) => sim.callLog(orgId),
    injectFault: (fault) => sim.injectFault(fault),
    clearFaults: (orgId, fault) => sim.clearFaults(orgId, fault),
    revokeRefreshToken: (orgId, next) => sim.revokeRefreshToken(orgId, next),
    pendingFaults: () => sim.pendingFaults(),
    setApiUsage: (orgId, used) => sim.setApiUsage(orgId, used),
    setChatterHourlyLimit: (orgId, limit) => sim.setChatterHourlyLimit(orgId, limit),
    setUpsertWindow: (ms) => void (sim.state.races.windowMs = ms),
    raceLosses: () => sim.state.races.losses,
    reset: () => sim.reset(),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
