import { Connection } from 'jsforce';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { id18, startSalesforceSim, type SalesforceSim } from '../../local/salesforce-sim/index.ts';
import { salesforcePackage } from '../../shared/adapters/salesforce-package-files.ts';

/** The simulator refuses what a real org refuses (issue 10, section 2), each rule on its own. */
const VERSION = '62.0';
const ORG = { orgId: id18('00D5g000000StRc'), username: 'strict@a.example', clientId: 'client-strict', refreshToken: 'refresh-strict' };
const EAI_ORG = {
  orgId: id18('00D5g000000EaIi'),
  username: 'eai@a.example',
  clientId: 'client-eai',
  refreshToken: 'refresh-eai',
  emailInternationalization: true,
};
const WRONG_ORG = {
  orgId: id18('00D5g000000WrNg'),
  username: 'wrong@a.example',
  clientId: 'client-wrong',
  refreshToken: 'refresh-wrong',
  schema: { missingFields: ['Glance_Session__c.Host_Email__c'], notExternalId: ['Lead.Glance_Guest_Key__c'] },
};

let sim: SalesforceSim;
let conn: Connection;

function connect(org: { clientId: string; refreshToken: string }, version = VERSION): Connection {
  return new Connection({
    oauth2: { loginUrl: sim.url, clientId: org.clientId, clientSecret: 'x', redirectUri: 'http://localhost/cb' },
    instanceUrl: sim.url,
    refreshToken: org.refreshToken,
    version,
  });
}

interface SaveResult {
  success: boolean;
  id?: string;
  created?: boolean;
  errors: Array<{ statusCode: string; message: string; fields: string[] }>;
}

const lead = (extra: Record<string, unknown>) => ({ LastName: 'Guest', Company: 'Glance guest', ...extra });
const session = (n: number | string, extra: Record<string, unknown> = {}) => ({
  Glance_Session_Id__c: `12345.4821.${n}`,
  Session_Key__c: '4821',
  ...extra,
});

async function createLeads(c: Connection, records: Array<Record<string, unknown>>): Promise<SaveResult[]> {
  return (await c.sobject('Lead').create(records, { allOrNone: false })) as unknown as SaveResult[];
}

async function upsertSessions(records: Array<Record<string, unknown>>): Promise<SaveResult[]> {
  return (await conn.sobject('Glance_Session__c').upsert(records as never, 'Glance_Session_Id__c', { allOrNone: false })) as unknown as SaveResult[];
}

const codes = (results: SaveResult[]) => results.map((r) => (r.success ? 'ok' : r.errors[0]?.statusCode));

beforeAll(async () => {
  sim = await startSalesforceSim();
  sim.addOrg(ORG);
  sim.addOrg(EAI_ORG);
  sim.addOrg(WRONG_ORG);
  conn = connect(ORG);
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(() => {
  sim.reset();
  sim.clearFaults();
});

describe('email fields are checked like Salesforce checks them', () => {
  it("accepts an apostrophe and a + in the local part, and stores the address lower-cased", async () => {
    const results = await createLeads(conn, [lead({ Email: "O'Neil@Example.com" }), lead({ Email: 'gil+glance@example.org' }), lead({ Email: 'a..b.@example.org' })]);
    expect(codes(results)).toEqual(['ok', 'ok', 'ok']);
    expect(sim.records(ORG.orgId, 'Lead').map((r) => r.Email).sort()).toEqual(['a..b.@example.org', 'gil+glance@example.org', "o'neil@example.com"]);
  });

  it('refuses a leading dot, _ in the domain and non-ASCII with INVALID_EMAIL_ADDRESS, per record', async () => {
    const results = await createLeads(conn, [
      lead({ Email: '.gil@example.org' }),
      lead({ Email: 'gil@exa_mple.org' }),
      lead({ Email: 'jörg@example.de' }),
      lead({ Email: 'gil@localhost' }),
      lead({ Email: 'fine@example.org' }),
    ]);
    expect(codes(results)).toEqual(['INVALID_EMAIL_ADDRESS', 'INVALID_EMAIL_ADDRESS', 'INVALID_EMAIL_ADDRESS', 'INVALID_EMAIL_ADDRESS', 'ok']);
    expect(results[0]?.errors[0]?.fields).toEqual(['Email']);
  });

  it('accepts non-ASCII addresses where Email Address Internationalization is on', async () => {
    const results = await createLeads(connect(EAI_ORG), [lead({ Email: 'jörg@bücher.de' }), lead({ Email: 'gil@exa_mple.org' })]);
    expect(codes(results)).toEqual(['ok', 'INVALID_EMAIL_ADDRESS']);
  });
});

describe('lengths are counted in UTF-16 code units', () => {
  it('an emoji counts 2: 39 letters and an emoji overflow FirstName (40)', async () => {
    const results = await createLeads(conn, [lead({ FirstName: `${'a'.repeat(39)}😀` }), lead({ FirstName: `${'a'.repeat(38)}😀` })]);
    expect(codes(results)).toEqual(['STRING_TOO_LONG', 'ok']);
    expect(results[0]?.errors[0]?.fields).toEqual(['FirstName']);
  });

  it('URL fields hold at most 255 characters', async () => {
    const url = (n: number) => `https://www.glance.net/agentjoin/${'x'.repeat(n - 33)}`;
    const results = await upsertSessions([session(1, { Join_URL__c: url(256) }), session(2, { Join_URL__c: url(255) })]);
    expect(codes(results)).toEqual(['STRING_TOO_LONG', 'ok']);
    expect(results[0]?.errors[0]?.fields).toEqual(['Join_URL__c']);
  });
});

describe('dateTime values', () => {
  it('outside 1700-01-01..4000-12-31 fail their own record only', async () => {
    const results = await upsertSessions([
      session(1, { Start_Time__c: '0050-11-22T13:14:00Z' }),
      session(2, { Start_Time__c: '2026-11-22T13:14:00Z' }),
      session(3, { Start_Time__c: '4001-01-01T00:00:00Z' }),
      session(4, { Start_Time__c: '1700-01-01T00:00:00Z' }),
      session(5, { Start_Time__c: '1699-12-31T23:59:59Z' }),
    ]);
    expect(codes(results)).toEqual(['FIELD_INTEGRITY_EXCEPTION', 'ok', 'FIELD_INTEGRITY_EXCEPTION', 'ok', 'FIELD_INTEGRITY_EXCEPTION']);
    expect(results[0]?.errors[0]?.message).toContain('0050-11-22T13:14:00.000+0000');
    const stored = sim.records(ORG.orgId, 'Glance_Session__c').map((r) => r.Start_Time__c).sort();
    expect(stored).toEqual(['1700-01-01T00:00:00.000+0000', '2026-11-22T13:14:00.000+0000']);
  });
});

describe('SOQL', () => {
  it('refuses a string literal over 4,000 characters in WHERE', async () => {
    const ok = await conn.query(`SELECT Id FROM Lead WHERE Email = '${'a'.repeat(4000)}'`);
    expect(ok.totalSize).toBe(0);
    await expect(conn.query(`SELECT Id FROM Lead WHERE Email = '${'a'.repeat(4001)}'`)).rejects.toMatchObject({ errorCode: 'MALFORMED_QUERY' });
  });
});

describe('API versions', () => {
  it('serves 31.0 to 68.0; a retired version is 410, one that never existed 404', async () => {
    const list = (await (await fetch(`${sim.url}/services/data`)).json()) as Array<{ version: string }>;
    expect(list[0]?.version).toBe('31.0');
    expect(list.at(-1)?.version).toBe('68.0');
    expect((await connect(ORG, '31.0').query('SELECT Id FROM Lead')).totalSize).toBe(0);
    await expect(connect(ORG, '30.0').query('SELECT Id FROM Lead')).rejects.toMatchObject({ errorCode: 'UNSUPPORTED_API_VERSION' });
    const retired = await fetch(`${sim.url}/services/data/v30.0/limits`);
    expect(retired.status).toBe(410);
    expect((await fetch(`${sim.url}/services/data/v69.0/limits`)).status).toBe(404);
  });
});

describe('injectable races and limits', () => {
  it('DUPLICATE_VALUE: a create losing to a concurrent upsert of the same external id succeeds as an update on retry', async () => {
    sim.injectFault({ fault: 'DUPLICATE_VALUE', recordMatch: { Glance_Session_Id__c: '12345.4821.1' } });
    const first = await upsertSessions([session(1, { Status__c: 'A' }), session(2)]);
    expect(codes(first)).toEqual(['DUPLICATE_VALUE', 'ok']);
    expect(first[0]?.errors[0]?.message).toMatch(/^duplicate value found: Glance_Session_Id__c duplicates value on record with id: [a-zA-Z0-9]{18}$/);
    expect(sim.records(ORG.orgId, 'Glance_Session__c')).toHaveLength(2);
    const retry = await upsertSessions([session(1, { Status__c: 'C' })]);
    expect(retry[0]).toMatchObject({ success: true, created: false });
    expect(sim.records(ORG.orgId, 'Glance_Session__c').find((r) => r.Glance_Session_Id__c === '12345.4821.1')?.Status__c).toBe('C');
  });

  it("Chatter's per-user hourly limit answers 503 once used up", async () => {
    const caseId = sim.seed(ORG.orgId, 'Case', { Subject: 'Help' });
    sim.setChatterHourlyLimit(ORG.orgId, 2);
    const post = () =>
      conn.request({
        method: 'POST',
        url: '/chatter/feed-elements',
        body: JSON.stringify({ feedElementType: 'FeedItem', subjectId: caseId, body: { messageSegments: [{ type: 'Text', text: 'Join' }] } }),
        headers: { 'content-type': 'application/json' },
      });
    await post();
    await post();
    await expect(post()).rejects.toMatchObject({ errorCode: 'SERVICE_UNAVAILABLE' });
    expect(sim.records(ORG.orgId, 'FeedItem')).toHaveLength(2);
    sim.setChatterHourlyLimit(ORG.orgId, undefined);
    await post();
    expect(sim.records(ORG.orgId, 'FeedItem')).toHaveLength(3);
  });
});

describe('schema from the Salesforce DX package', () => {
  it('describes Glance_Session__c with exactly the package fields, types and lengths', async () => {
    const pkg = salesforcePackage().objects.find((o) => o.name === 'Glance_Session__c')!;
    const described = await conn.sobject('Glance_Session__c').describe();
    const custom = described.fields.filter((f) => f.custom).map((f) => f.name).sort();
    expect(custom).toEqual(pkg.fields.map((f) => f.name).sort());
    const byName = new Map(described.fields.map((f) => [f.name, f]));
    expect(byName.get('Join_URL__c')).toMatchObject({ type: 'url', length: 255 });
    expect(byName.get('Glance_Session_Id__c')).toMatchObject({ type: 'string', length: 80, externalId: true, unique: true, caseSensitive: true });
    expect(byName.get('Host_Email__c')).toMatchObject({ type: 'email', length: 80 });
    expect(byName.get('Case__c')).toMatchObject({ type: 'reference', referenceTo: ['Case'] });
    expect(byName.get('Name')).toMatchObject({ autoNumber: true });
  });

  it('standard objects carry their standard fields: Lead with the package fields, Case.Origin and Priority', async () => {
    const leadFields = new Map((await conn.sobject('Lead').describe()).fields.map((f) => [f.name, f]));
    expect(leadFields.get('Glance_Guest_Key__c')).toMatchObject({ externalId: true, unique: true, caseSensitive: false });
    expect(leadFields.get('Glance_Session_Id__c')).toMatchObject({ type: 'string', externalId: false });
    expect(leadFields.get('FirstName')).toMatchObject({ length: 40 });
    const caseFields = new Map((await conn.sobject('Case').describe()).fields.map((f) => [f.name, f]));
    expect(caseFields.get('Origin')).toMatchObject({ type: 'picklist' });
    expect(caseFields.get('Priority')).toMatchObject({ type: 'picklist', defaultValue: 'Medium' });
  });

  it("the admin's objects (Glance_Sync_Run__c, Glance_Log__c) are the package's: fields, lengths, required and external ids enforced", async () => {
    for (const name of ['Glance_Sync_Run__c', 'Glance_Log__c']) {
      const declared = salesforcePackage().objects.find((o) => o.name === name)!;
      const described = await conn.sobject(name).describe();
      expect(described.fields.filter((f) => f.custom).map((f) => f.name).sort()).toEqual(declared.fields.map((f) => f.name).sort());
    }
    const runFields = new Map((await conn.sobject('Glance_Sync_Run__c').describe()).fields.map((f) => [f.name, f]));
    expect(runFields.get('Run_Id__c')).toMatchObject({ type: 'string', length: 80, externalId: true, unique: true, nillable: false });
    expect(runFields.get('Status__c')).toMatchObject({ type: 'string', length: 20, externalId: false });
    expect(runFields.get('Next_Scheduled_Sync__c')).toMatchObject({ type: 'datetime' });
    const upsertRuns = (records: Array<Record<string, unknown>>, by = 'Run_Id__c') =>
      conn.sobject('Glance_Sync_Run__c').upsert(records as never, by, { allOrNone: false }) as unknown as Promise<SaveResult[]>;
    expect(codes(await upsertRuns([{ Run_Id__c: 'run-1', Status__c: 'complete' }, { Run_Id__c: 'run-2', Status__c: 'x'.repeat(21) }]))).toEqual(['ok', 'STRING_TOO_LONG']);
    await expect(upsertRuns([{ Run_Id__c: 'run-3', Status__c: 'complete' }], 'Status__c')).rejects.toMatchObject({ errorCode: 'NOT_FOUND' });
    const logs = (await conn.sobject('Glance_Log__c').create([{ Session_Id__c: '12345.1.1' }] as never, { allOrNone: false })) as unknown as SaveResult[];
    expect(codes(logs)).toEqual(['REQUIRED_FIELD_MISSING']);
  });

  it('an org set up differently: a missing field is INVALID_FIELD, upsert by a plain field is 404 NOT_FOUND', async () => {
    const wrong = connect(WRONG_ORG);
    const results = (await wrong.sobject('Glance_Session__c').upsert([session(1, { Host_Email__c: 'ana@example.com' })] as never, 'Glance_Session_Id__c', {
      allOrNone: false,
    })) as unknown as SaveResult[];
    expect(codes(results)).toEqual(['INVALID_FIELD']);
    await expect(
      wrong.sobject('Lead').upsert([lead({ Glance_Guest_Key__c: 'gil@example.org' })] as never, 'Glance_Guest_Key__c', { allOrNone: false }),
    ).rejects.toMatchObject({ errorCode: 'NOT_FOUND' });
  });
});
