import type { SalesforceSim } from '../../local/salesforce-sim/index.ts';
import { connectSalesforce, type SalesforceOrgClient } from '../../shared/adapters/salesforce.ts';
import type { ChatterPost } from '../../shared/chatter.ts';
import type { OrgSalesforce, PostResult, RecordResult, UpsertRef, UpsertSpec } from '../../shared/processing/org-batch.ts';
import type { Org } from '../../shared/org.ts';
import type { ApiUsage } from '../../shared/api-allowance.ts';
import { simCredentials } from '../orgs.ts';
import type { SimClock } from './clock.ts';

/** Told when a session record or a Chatter post is in an org, at the simulated instant its call returned. */
export interface WriteObserver {
  recorded(orgId: string, sessionIds: string[]): void;
  posted(orgId: string, sessionIds: string[]): void;
}

/**
 * Runs one real Salesforce operation (any number of HTTP calls to the simulator) with the clock
 * held, then waits the simulated latency once per call the simulator counted for the org, as
 * those calls would have taken one after the other. Real operations run one at a time, so the
 * simulator's counter tells exactly how many calls this one made. `extraCalls` are uncounted
 * round trips (the OAuth token request).
 */
export async function timedSalesforce<T>(clock: SimClock, sim: SalesforceSim, latencyMs: number, orgId: string, fn: () => Promise<T>, extraCalls = 0): Promise<T> {
  let calls = extraCalls;
  try {
    return await clock.real(async () => {
      const before = sim.apiCalls(orgId);
      try {
        return await fn();
      } finally {
        calls += sim.apiCalls(orgId) - before;
      }
    });
  } finally {
    await clock.sleep(calls * latencyMs);
  }
}

/** Retries as the session-processor handler sets them (3 attempts, 250 ms base). */
const RETRY = { attempts: 3, baseDelayMs: 250, deadline: () => Date.now() + 30_000 };

/**
 * One warm Lambda container's Salesforce clients (as salesforceClientCache keeps them: a login and
 * the describes once per org per container), the real jsforce adapter against the simulator, each
 * call timed in simulated time.
 */
export function containerSalesforce(clock: SimClock, sim: SalesforceSim, latencyMs: number, observer: WriteObserver) {
  const clients = new Map<string, Promise<SalesforceOrgClient>>();
  return (org: Org): Promise<OrgSalesforce & { apiUsage(): ApiUsage | null }> => {
    let client = clients.get(org.orgId);
    if (!client) {
      client = timedSalesforce(clock, sim, latencyMs, org.orgId, () => connectSalesforce(simCredentials(org.orgId, sim.url), RETRY), 1);
      clients.set(org.orgId, client);
    }
    const id = org.orgId;
    const timed = <T>(fn: () => Promise<T>) => timedSalesforce(clock, sim, latencyMs, id, fn);
    return client.then((c) => ({
      apiUsage: () => c.apiUsage(),
      orgShape: () => timed(() => c.orgShape()),
      query: <T extends Record<string, unknown>>(soql: string) => timed(() => c.query<T>(soql)),
      // One Composite of up to 5 queries: the simulator counts it once, so it is timed as one call.
      queryAll: <T extends Record<string, unknown>>(soqls: string[]) => timed(() => c.queryAll<T>(soqls)),
      async upsertRecords(sobject: string, externalId: string, records: Array<Record<string, unknown>>): Promise<RecordResult[]> {
        const results = await timed(() => c.upsertRecords(sobject, externalId, records));
        if (sobject === 'Glance_Session__c') observer.recorded(id, records.flatMap((r, i) => (results[i]?.ok ? [String(r[externalId])] : [])));
        return results;
      },
      async upsertTogether(first: UpsertSpec, then: UpsertSpec & { refs: Array<UpsertRef | null> }) {
        const out = await timed(() => c.upsertTogether(first, then));
        if (then.sobject === 'Glance_Session__c') observer.recorded(id, then.records.flatMap((r, i) => (out.then[i]?.ok ? [String(r[then.externalId])] : [])));
        return out;
      },
      async postChatter(posts: ChatterPost[]): Promise<PostResult[]> {
        const results = await timed(() => c.postChatter(posts));
        observer.posted(id, posts.flatMap((p, i) => (results[i]?.ok ? [p.sessionId] : [])));
        return results;
      },
    }));
  };
}
