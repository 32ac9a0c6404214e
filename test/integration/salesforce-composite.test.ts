import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Connection } from 'jsforce';
import { id18, startSalesforceSim, type SalesforceSim } from '../../local/salesforce-sim/index.ts';
import { salesforceOrgClient } from '../../shared/adapters/salesforce.ts';
import { toGlanceSessionRecord } from '../../shared/glance-session-record.ts';
import { sampleSession } from '../support/fixtures.ts';
import { chunkForIn, soqlStringList } from '../../shared/soql.ts';
import { SalesforceCallError } from '../../shared/salesforce-errors.ts';

/*
 * Composite in the simulator, with Salesforce's documented limits (REST API Developer Guide,
 * "Send Multiple Requests Using Composite"), and the adapter writing more than one collection's
 * worth of records through it.
 */

const VERSION = '62.0';
const ORG = { orgId: id18('00D5g000000CoMp'), username: 'admin@composite.example', clientId: 'client-c', refreshToken: 'refresh-c' };
let sim: SalesforceSim;
let conn: Connection;

beforeAll(async () => {
  sim = await startSalesforceSim();
  sim.addOrg(ORG);
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(async () => {
  sim.reset();
  conn = new Connection({
    oauth2: { loginUrl: sim.url, clientId: ORG.clientId, clientSecret: 'x', redirectUri: 'http://localhost/cb' },
    instanceUrl: sim.url,
    refreshToken: ORG.refreshToken,
    version: VERSION,
  });
});

type Sub = { method: string; url: string; referenceId: string; body?: unknown };
const composite = (compositeRequest: Sub[], allOrNone = false) =>
  conn.request({ method: 'POST', url: '/composite', body: JSON.stringify({ allOrNone, compositeRequest }), headers: { 'content-type': 'application/json' } }) as Promise<{
    compositeResponse: Array<{ body: any; httpStatusCode: number; referenceId: string }>;
  }>;
const query = (n: number): Sub => ({ method: 'GET', url: `/services/data/v${VERSION}/query?q=${encodeURIComponent('SELECT Id FROM Lead')}`, referenceId: `q${n}` });
const lead = (n: number, email: string): Sub => ({
  method: 'POST',
  url: `/services/data/v${VERSION}/sobjects/Lead`,
  referenceId: `lead${n}`,
  body: { LastName: `Guest ${n}`, Company: 'Acme', Email: email },
});
async function failure(promise: Promise<unknown>): Promise<{ errorCode?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { errorCode?: string; message: string };
  }
  throw new Error('expected the call to fail');
}

describe('Composite in the simulator', () => {
  it('runs subrequests in order, resolves references, and counts the whole request as one call', async () => {
    const before = sim.apiCalls(ORG.orgId);
    const out = await composite([
      lead(1, 'one@example.com'),
      { method: 'GET', url: `/services/data/v${VERSION}/sobjects/Lead/@{lead1.id}`, referenceId: 'read1' },
      query(1),
    ]);
    expect(out.compositeResponse.map((r) => [r.referenceId, r.httpStatusCode])).toEqual([
      ['lead1', 201],
      ['read1', 200],
      ['q1', 200],
    ]);
    expect(out.compositeResponse[1]!.body.Email).toBe('one@example.com');
    expect(out.compositeResponse[2]!.body.totalSize).toBe(1);
    expect(sim.apiCalls(ORG.orgId) - before).toBe(1);
  });

  it('refuses more than 25 subrequests, and more than 5 collections or queries, before running any', async () => {
    const tooMany = await failure(composite(Array.from({ length: 26 }, (_, i) => lead(i, `g${i}@example.com`))));
    expect(tooMany.errorCode).toBe('LIMIT_EXCEEDED');
    const tooHeavy = await failure(composite(Array.from({ length: 6 }, (_, i) => query(i))));
    expect(tooHeavy.errorCode).toBe('LIMIT_EXCEEDED');
    expect(sim.records(ORG.orgId, 'Lead')).toHaveLength(0);
    // 25 plain subrequests, 5 of them queries, are within the limits.
    const ok = await composite([...Array.from({ length: 20 }, (_, i) => lead(i, `g${i}@example.com`)), ...Array.from({ length: 5 }, (_, i) => query(i))]);
    expect(ok.compositeResponse).toHaveLength(25);
  });

  it('allOrNone rolls every subrequest back when one fails; without it only the dependent one fails', async () => {
    const broken = { ...lead(2, 'two@example.com'), body: { Company: 'Acme' } }; // LastName is required
    const all = await composite([lead(1, 'one@example.com'), broken], true);
    expect(all.compositeResponse[0]!.body[0].errorCode).toBe('PROCESSING_HALTED');
    expect(all.compositeResponse[1]!.httpStatusCode).toBe(400);
    expect(sim.records(ORG.orgId, 'Lead')).toHaveLength(0);

    const some = await composite([lead(1, 'one@example.com'), broken, { method: 'GET', url: `/services/data/v${VERSION}/sobjects/Lead/@{lead2.id}`, referenceId: 'read2' }]);
    expect(some.compositeResponse.map((r) => r.httpStatusCode)).toEqual([201, 400, 400]);
    expect(some.compositeResponse[2]!.body[0].errorCode).toBe('PROCESSING_HALTED');
    expect(sim.records(ORG.orgId, 'Lead')).toHaveLength(1);
  });
});

describe('the adapter upserts through Composite past one collection', () => {
  it('450 Leads by external id: one Composite call of 3 collections; a repeat updates, creating nothing', async () => {
    const client = salesforceOrgClient(conn);
    const records = Array.from({ length: 450 }, (_, i) => ({ Glance_Guest_Key__c: `g${i}@example.com`, LastName: `Guest ${i}`, Company: 'Acme', Email: `g${i}@example.com` }));
    const before = sim.apiCalls(ORG.orgId);
    const first = await client.upsertRecords('Lead', 'Glance_Guest_Key__c', records);
    expect(first.every((r) => r.ok && r.created)).toBe(true);
    expect(sim.apiCalls(ORG.orgId) - before).toBe(1);
    expect(sim.callLog(ORG.orgId).at(-1)!.path).toMatch(/\/composite$/);
    const again = await client.upsertRecords('Lead', 'Glance_Guest_Key__c', records);
    expect(again.every((r) => r.ok && !r.created)).toBe(true);
    expect(sim.records(ORG.orgId, 'Lead')).toHaveLength(450);
  });

  it('a record refused in one collection costs neither its neighbours nor the other collections', async () => {
    const client = salesforceOrgClient(conn);
    const records = Array.from({ length: 250 }, (_, i) => ({ Glance_Guest_Key__c: `h${i}@example.com`, LastName: `Guest ${i}`, Company: 'Acme', Email: `h${i}@example.com` }));
    records[210]!.Email = 'bad@ex_ample.com';
    const results = await client.upsertRecords('Lead', 'Glance_Guest_Key__c', records);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, faults: [expect.objectContaining({ code: 'INVALID_EMAIL_ADDRESS' })] }]);
    expect(results[210]!.ok).toBe(false);
    expect(sim.records(ORG.orgId, 'Lead')).toHaveLength(249);
  });
});

describe('the adapter writes the Leads and the sessions relating to them in one Composite call', () => {
  const sessionRecord = (n: number) => toGlanceSessionRecord(sampleSession({ id: `12345.66${n}.1`, sessionKey: `66${n}` }), ORG.orgId, '2026-11-22T13:15:00.000Z');
  const leadRecord = (n: number, email = `k${n}@example.com`) => ({ Glance_Guest_Key__c: `k${n}@example.com`, LastName: `Guest ${n}`, Company: 'Acme', Email: email });
  const lead = (id: unknown) => sim.records(ORG.orgId, 'Lead').find((l) => l.Id === id);

  it('one call: each session record takes the id of the Lead made for it (a Composite reference)', async () => {
    const client = salesforceOrgClient(conn);
    const before = sim.apiCalls(ORG.orgId);
    const out = await client.upsertTogether(
      { sobject: 'Lead', externalId: 'Glance_Guest_Key__c', records: [leadRecord(1), leadRecord(2)] },
      { sobject: 'Glance_Session__c', externalId: 'Glance_Session_Id__c', records: [sessionRecord(1), sessionRecord(2), sessionRecord(3)], refs: [{ field: 'Lead__c', index: 1 }, null, { field: 'Lead__c', index: 0 }] },
    );
    expect(sim.apiCalls(ORG.orgId) - before).toBe(1);
    expect(out.first.every((r) => r.ok && r.created)).toBe(true);
    expect(out.then.every((r) => r.ok && r.created)).toBe(true);
    const sessions = new Map(sim.records(ORG.orgId, 'Glance_Session__c').map((r) => [r.Glance_Session_Id__c, r]));
    expect(lead(sessions.get(sessionRecord(1).Glance_Session_Id__c)!.Lead__c)?.Email).toBe('k2@example.com');
    expect(sessions.get(sessionRecord(2).Glance_Session_Id__c)!.Lead__c ?? null).toBeNull();
    expect(lead(sessions.get(sessionRecord(3).Glance_Session_Id__c)!.Lead__c)?.Email).toBe('k1@example.com');
  });

  it('a Lead Salesforce refuses halts the session collection referring to it: the sessions go again, that one without its Lead, the others with theirs', async () => {
    const client = salesforceOrgClient(conn);
    const before = sim.apiCalls(ORG.orgId);
    const out = await client.upsertTogether(
      { sobject: 'Lead', externalId: 'Glance_Guest_Key__c', records: [leadRecord(4, 'bad@ex_ample.com'), leadRecord(5)] },
      { sobject: 'Glance_Session__c', externalId: 'Glance_Session_Id__c', records: [sessionRecord(4), sessionRecord(5)], refs: [{ field: 'Lead__c', index: 0 }, { field: 'Lead__c', index: 1 }] },
    );
    expect(out.first.map((r) => r.ok)).toEqual([false, true]);
    expect(out.then.map((r) => r.ok)).toEqual([true, true]);
    expect(sim.apiCalls(ORG.orgId) - before).toBe(2);
    const sessions = new Map(sim.records(ORG.orgId, 'Glance_Session__c').map((r) => [r.Glance_Session_Id__c, r]));
    expect(sessions.get(sessionRecord(4).Glance_Session_Id__c)!.Lead__c ?? null).toBeNull();
    expect(lead(sessions.get(sessionRecord(5).Glance_Session_Id__c)!.Lead__c)?.Email).toBe('k5@example.com');
  });
});

describe('the adapter upserts collections of several objects in one Composite call', () => {
  it("Sync History and Debug Mode's logs together: one call, a result list per collection, a refusal only its record's", async () => {
    const client = salesforceOrgClient(conn);
    const before = sim.apiCalls(ORG.orgId);
    const [runs, logs] = await client.upsertCollections([
      { sobject: 'Glance_Sync_Run__c', externalId: 'Run_Id__c', records: [{ Run_Id__c: 'run-1', Status__c: 'complete' }, { Run_Id__c: 'run-2', Status__c: 'x'.repeat(21) }] },
      { sobject: 'Glance_Log__c', externalId: 'Log_Key__c', records: [{ Log_Key__c: 'a'.repeat(64), Session_Id__c: '12345.1.1', Recorded__c: true }] },
    ]);
    expect(sim.apiCalls(ORG.orgId) - before).toBe(1);
    expect(runs!.map((r) => (r.ok ? 'ok' : r.faults[0]!.code))).toEqual(['ok', 'STRING_TOO_LONG']);
    expect(logs).toEqual([{ ok: true, id: expect.any(String), created: true }]);
    expect(sim.records(ORG.orgId, 'Glance_Sync_Run__c').map((r) => r.Run_Id__c)).toEqual(['run-1']);
    await expect(client.upsertCollections(Array.from({ length: 6 }, () => ({ sobject: 'Glance_Log__c', externalId: 'Log_Key__c', records: [] })))).rejects.toThrow(RangeError);
  });
});

describe('the adapter sends several queries in one Composite call', () => {
  const email = (i: number) => `lq${i}@example.com`;
  const seedLeads = async (n: number) => {
    const client = salesforceOrgClient(conn);
    const records = Array.from({ length: n }, (_, i) => ({ Glance_Guest_Key__c: email(i), LastName: `Guest ${i}`, Company: 'Acme', Email: email(i) }));
    await client.upsertRecords('Lead', 'Glance_Guest_Key__c', records);
    return client;
  };
  const byEmail = (chunk: string[]) => `SELECT Id, Email FROM Lead WHERE Email IN ${soqlStringList(chunk)}`;
  const sorted = (rows: Array<Record<string, unknown>>) => rows.map((r) => `${String(r.Id)} ${String(r.Email)}`).sort();

  it('7 chunks of emails: 2 API calls (5 queries, then 2), the same rows as 7 separate queries find', async () => {
    const client = await seedLeads(330);
    // 330 Leads that exist and 20 emails that do not, in chunks of 50: 7 queries.
    const chunks = chunkForIn([...Array.from({ length: 330 }, (_, i) => email(i)), ...Array.from({ length: 20 }, (_, i) => `none${i}@example.com`)], 10_000, 50);
    expect(chunks).toHaveLength(7);
    const before = sim.apiCalls(ORG.orgId);
    const together = await client.queryAll(chunks.map(byEmail));
    expect(sim.apiCalls(ORG.orgId) - before).toBe(Math.ceil(chunks.length / 5));
    expect(sim.callLog(ORG.orgId).slice(-2).map((c) => c.path)).toEqual([expect.stringMatching(/\/composite$/), expect.stringMatching(/\/composite$/)]);
    const separate: Array<Array<Record<string, unknown>>> = [];
    for (const chunk of chunks) separate.push(await client.query(byEmail(chunk)));
    expect(together.map(sorted)).toEqual(separate.map(sorted));
    expect(together.flat()).toHaveLength(330);
  });

  it('a query page that is not done is followed with queryMore', async () => {
    const client = await seedLeads(2_100); // past the 2,000 rows of a first page
    const before = sim.apiCalls(ORG.orgId);
    const [all, some] = await client.queryAll(['SELECT Id, Email FROM Lead', byEmail([email(1), email(2)])]);
    expect(all).toHaveLength(2_100);
    expect(new Set(all!.map((r) => r.Email)).size).toBe(2_100);
    expect(some!.map((r) => r.Email).sort()).toEqual([email(1), email(2)]);
    expect(sim.apiCalls(ORG.orgId) - before).toBe(2); // the Composite, then one queryMore
  });

  it('a refused query subrequest fails the call as the same query alone does', async () => {
    const client = await seedLeads(3);
    const bad = 'SELECT Id, No_Such_Field__c FROM Lead';
    const alone = await failure(client.query(bad));
    const together = await failure(client.queryAll([byEmail([email(0)]), bad, byEmail([email(1)])]));
    expect(together).toBeInstanceOf(SalesforceCallError);
    expect(alone).toBeInstanceOf(SalesforceCallError);
    expect({ code: (together as SalesforceCallError).code, kind: (together as SalesforceCallError).kind }).toEqual({
      code: (alone as SalesforceCallError).code,
      kind: (alone as SalesforceCallError).kind,
    });
    expect((together as SalesforceCallError).kind).toBe('permanent');
  });
});
