import { randomBytes } from 'node:crypto';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { id18, startSalesforceSim, type SalesforceSim } from '../../local/salesforce-sim/index.ts';

const VERSION = '62.0';
const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ORG_A = { orgId: id18('00D5g000000AbCd'), username: 'admin@a.example', clientId: 'client-a', refreshToken: 'refresh-a' };
const ORG_B = { orgId: id18('00D5g000000XyZw'), username: 'admin@b.example', clientId: 'client-b', refreshToken: 'refresh-b' };

let sim: SalesforceSim;

interface Failure {
  name: string;
  errorCode?: string;
  message: string;
  data?: unknown;
}

async function failure(promise: PromiseLike<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error('expected the call to fail');
}

/** A Connection the way the pipeline makes one for a refresh-token org: no access token until the first 401. */
function refreshConnection(org: typeof ORG_A): Connection {
  return new Connection({
    oauth2: { loginUrl: sim.url, clientId: org.clientId, clientSecret: 'x', redirectUri: 'http://localhost/cb' },
    instanceUrl: sim.url,
    refreshToken: org.refreshToken,
    version: VERSION,
  });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Shaped like a real RS256 JWT; the simulator checks claims, not the RSA signature. */
function assertion(claims: Record<string, unknown>, alg = 'RS256'): string {
  const payload = { iss: ORG_A.clientId, sub: ORG_A.username, aud: 'https://login.salesforce.com', exp: Math.floor(Date.now() / 1000) + 180, ...claims };
  return `${b64({ alg, typ: 'JWT' })}.${b64(payload)}.${randomBytes(32).toString('base64url')}`;
}

/** JWT orgs have no refresh token: jsforce re-authenticates through a refreshFn that mints a new assertion. */
function jwtConnection(): Connection {
  return new Connection({
    loginUrl: sim.url,
    version: VERSION,
    refreshFn: (conn, callback) => {
      conn
        .authorize({ grant_type: JWT_GRANT, assertion: assertion({}) })
        .then(() => callback(null, conn.accessToken ?? undefined))
        .catch((error: Error) => callback(error));
    },
  });
}

const lead = (n: number | string, extra: Record<string, unknown> = {}) => ({
  LastName: `Guest ${n}`,
  Company: 'Glance guest',
  Email: `guest${n}@example.org`,
  ...extra,
});
const session = (n: number | string, extra: Record<string, unknown> = {}) => ({
  Glance_Session_Id__c: `12345.4821.${n}`,
  Session_Key__c: '4821',
  Site__c: 'production',
  Session_Type__c: 'Screen Share',
  ...extra,
});

let conn: Connection;

beforeAll(async () => {
  sim = await startSalesforceSim();
  sim.addOrg(ORG_A);
  sim.addOrg(ORG_B);
  conn = refreshConnection(ORG_A);
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(() => {
  sim.reset();
});

describe('OAuth', () => {
  it('refresh-token grant: the first 401 triggers a refresh, then the call is retried', async () => {
    const fresh = refreshConnection(ORG_A);
    const result = await fresh.query('SELECT Id FROM Lead');
    expect(result.totalSize).toBe(0);
    expect(fresh.userInfo?.organizationId).toBe(ORG_A.orgId);
    expect(fresh.userInfo?.id).toMatch(/^005/);
    expect(fresh.accessToken).toMatch(new RegExp(`^${ORG_A.orgId.slice(0, 15)}!`));
    expect(sim.apiCalls(ORG_A.orgId)).toBe(1); // the unauthenticated 401 is not counted
  });

  it('refresh-token grant answers Salesforce errors for a wrong token or client', async () => {
    const res = await fetch(`${sim.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'nope', client_id: ORG_A.clientId }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'expired access/refresh token' });
    const wrongClient = new Connection({
      oauth2: { loginUrl: sim.url, clientId: 'unknown', clientSecret: 'x', redirectUri: 'http://localhost/cb' },
      instanceUrl: sim.url,
      refreshToken: ORG_A.refreshToken,
      version: VERSION,
    });
    expect((await failure(wrongClient.query('SELECT Id FROM Lead'))).message).toMatch(/client identifier invalid/);
  });

  it('JWT bearer grant through conn.authorize, with the Salesforce token shape', async () => {
    const jwt = jwtConnection();
    const info = await jwt.authorize({ grant_type: JWT_GRANT, assertion: assertion({}) });
    expect(info.organizationId).toBe(ORG_A.orgId);
    expect(jwt.instanceUrl).toBe(sim.url);
    const raw = await fetch(`${sim.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: JWT_GRANT, assertion: assertion({}) }),
    });
    const body = (await raw.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'id', 'instance_url', 'issued_at', 'scope', 'signature', 'token_type']);
    expect(body.token_type).toBe('Bearer');
    expect(body.id).toBe(`${sim.url}/id/${ORG_A.orgId}/${info.id}`);
  });

  it('JWT bearer grant refuses bad claims', async () => {
    const attempt = async (jwt: string) => failure(new Connection({ loginUrl: sim.url, version: VERSION }).authorize({ grant_type: JWT_GRANT, assertion: jwt }));
    expect((await attempt(assertion({ sub: 'someone@else.example' }))).name).toBe('invalid_grant');
    expect((await attempt(assertion({ exp: Math.floor(Date.now() / 1000) - 1 }))).name).toBe('invalid_grant');
    expect((await attempt(assertion({ aud: 'not a url' }))).name).toBe('invalid_grant');
    expect((await attempt(assertion({ iss: 'unknown-client' }))).name).toBe('invalid_client_id');
    expect((await attempt(assertion({}, 'HS256'))).name).toBe('invalid_grant');
    expect((await attempt('only.two')).name).toBe('invalid_grant');
  });

  it('every data call needs a valid bearer token', async () => {
    const res = await fetch(`${sim.url}/services/data/v${VERSION}/sobjects`, { headers: { Authorization: 'Bearer forged' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });
});

describe('sObjects and collections', () => {
  it('creates, reads, updates and describes single records', async () => {
    const created = await conn.sobject('Lead').create(lead(1));
    expect(created).toEqual({ id: expect.stringMatching(/^00Q[a-zA-Z0-9]{15}$/), success: true, errors: [] });
    const id = created.id as string;
    await conn.sobject('Lead').update({ Id: id, Status: 'Working - Contacted' });
    const read = (await conn.sobject('Lead').retrieve(id)) as Record<string, unknown>;
    expect(read).toMatchObject({ Id: id, Name: 'Guest 1', Status: 'Working - Contacted', attributes: { type: 'Lead' } });
    expect(read.CreatedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    const describe = await conn.describe('Glance_Session__c');
    // A custom object's key prefix is assigned by the org (a0…, order of creation): any custom-object prefix.
    expect(describe.keyPrefix).toMatch(/^a[0-9A-Za-z]{2}$/);
    const ext = describe.fields.find((f) => f.name === 'Glance_Session_Id__c');
    expect(ext).toMatchObject({ externalId: true, unique: true, length: 80, nillable: false });
    const global = await conn.describeGlobal();
    expect(global.sobjects.map((s) => s.name)).toContain('FeedItem');
  });

  it('upserts by external id: 201 created, then 200 updated', async () => {
    const first = await conn.sobject('Glance_Session__c').upsert(session(1), 'Glance_Session_Id__c');
    expect(first).toMatchObject({ success: true, created: true });
    const second = await conn.sobject('Glance_Session__c').upsert(session(1, { Status__c: 'C' }), 'Glance_Session_Id__c');
    expect(second).toMatchObject({ id: first.id, success: true, created: false });
    const [stored] = sim.records(ORG_A.orgId, 'Glance_Session__c');
    expect(stored).toMatchObject({ Name: 'GS-000001', Status__c: 'C', Launched_From_This_Org__c: false });
  });

  it('an array of 200 is one collection call; 201 is refused unless the client chunks', async () => {
    const before = sim.apiCalls(ORG_A.orgId);
    const results = await conn.sobject('Glance_Session__c').upsert(
      Array.from({ length: 200 }, (_, i) => session(i)),
      'Glance_Session_Id__c',
    );
    expect(results.every((r) => r.success && r.created)).toBe(true);
    expect(sim.apiCalls(ORG_A.orgId) - before).toBe(1);
    expect(sim.callLog(ORG_A.orgId).at(-1)).toEqual({
      method: 'PATCH',
      path: `/services/data/v${VERSION}/composite/sobjects/Glance_Session__c/Glance_Session_Id__c`,
      status: 200,
    });
    const tooMany = Array.from({ length: 201 }, (_, i) => lead(i));
    expect((await failure(conn.sobject('Lead').create(tooMany))).errorCode).toBe('EXCEEDED_ID_LIMIT');
    const chunked = await conn.sobject('Lead').create(tooMany, { allowRecursive: true });
    expect(chunked).toHaveLength(201);
    expect(sim.records(ORG_A.orgId, 'Lead')).toHaveLength(201);
  });

  it('refuses unknown fields, naming them, in single calls and per record in collections', async () => {
    const single = await failure(conn.sobject('Lead').create(lead(1, { Foo__c: 'x' })));
    expect(single.errorCode).toBe('INVALID_FIELD');
    expect(single.message).toBe("No such column 'Foo__c' on sobject of type Lead");
    const results = await conn.sobject('Lead').create([lead(2), lead(3, { Foo__c: 'x' })]);
    expect(results[0]?.success).toBe(true);
    expect(results[1]).toEqual({
      success: false,
      errors: [{ statusCode: 'INVALID_FIELD', message: "No such column 'Foo__c' on sobject of type Lead", fields: [] }],
    });
  });

  it('enforces the declared field rules', async () => {
    const errorOf = async (record: Record<string, unknown>, type = 'Glance_Session__c') => {
      const [result] = await conn.sobject(type).create([record]);
      return (result as unknown as { errors: Array<{ statusCode: string; fields: string[] }> }).errors[0];
    };
    expect(await errorOf(session(1, { Site__c: 'prod' }))).toMatchObject({ statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', fields: ['Site__c'] });
    expect(await errorOf(session(1, { Host_Email__c: 'ana at example' }))).toMatchObject({ statusCode: 'INVALID_EMAIL_ADDRESS' });
    expect(await errorOf(session(1, { Status__c: 'AC' }))).toMatchObject({ statusCode: 'STRING_TOO_LONG', fields: ['Status__c'] });
    expect(await errorOf(session(1, { Name: 'GS-9' }))).toMatchObject({ statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['Name'] });
    expect(await errorOf({ Company: 'Acme', LastName: '' }, 'Lead')).toMatchObject({ statusCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] });
    expect(await errorOf(session(1, { Case__c: id18('5005g00000XyZ12') }))).toMatchObject({ statusCode: 'INVALID_CROSS_REFERENCE_KEY', fields: ['Case__c'] });
    const contact = await conn.sobject('Contact').create({ LastName: 'Client' });
    // A real Contact id in a Case lookup is the wrong object.
    expect(await errorOf(session(1, { Case__c: contact.id }))).toMatchObject({ statusCode: 'INVALID_CROSS_REFERENCE_KEY' });
    const typed = await failure(conn.sobject('Glance_Session__c').create([session(1, { Group_Id__c: '12345' })]));
    expect(typed.errorCode).toBe('JSON_PARSER_ERROR');
    const badDate = await failure(conn.sobject('Glance_Session__c').create(session(1, { Start_Time__c: '22/11/2026 13:14' })));
    expect(badDate.errorCode).toBe('JSON_PARSER_ERROR');
    const ok = await conn.sobject('Glance_Session__c').create(session(1, { Start_Time__c: '2026-11-22T14:14:00+01:00', Group_Id__c: 12345 }));
    expect(sim.records(ORG_A.orgId, 'Glance_Session__c')[0]).toMatchObject({ Id: ok.id, Start_Time__c: '2026-11-22T13:14:00.000+0000' });
  });

  it('unique external ids: DUPLICATE_VALUE, duplicate in one batch, and MULTIPLE_CHOICES', async () => {
    await conn.sobject('Lead').create(lead(1, { Glance_Guest_Key__c: 'key-1' }));
    const dup = await failure(conn.sobject('Lead').create(lead(2, { Glance_Guest_Key__c: 'KEY-1' })));
    expect(dup.errorCode).toBe('DUPLICATE_VALUE');
    const batch = await conn.sobject('Glance_Session__c').upsert([session(7), session(7)], 'Glance_Session_Id__c');
    expect(batch.map((r) => (r as unknown as { errors: Array<{ statusCode: string }> }).errors[0]?.statusCode)).toEqual([
      'DUPLICATE_EXTERNAL_ID',
      'DUPLICATE_EXTERNAL_ID',
    ]);
    sim.seed(ORG_A.orgId, 'Glance_Session__c', session(9));
    sim.seed(ORG_A.orgId, 'Glance_Session__c', session(9));
    const multiple = await failure(conn.sobject('Glance_Session__c').upsert(session(9), 'Glance_Session_Id__c'));
    expect(multiple.errorCode).toBe('MULTIPLE_CHOICES');
  });

  it('allOrNone rolls every record back', async () => {
    const results = await conn.sobject('Lead').create([lead(1), lead(2, { Email: 'bad' })], { allOrNone: true });
    expect(results.map((r) => (r as unknown as { errors: Array<{ statusCode: string }> }).errors[0]?.statusCode)).toEqual([
      'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      'INVALID_EMAIL_ADDRESS',
    ]);
    expect(sim.records(ORG_A.orgId, 'Lead')).toEqual([]);
  });

  it('keeps orgs apart', async () => {
    const a = await conn.sobject('Lead').create(lead(1));
    const connB = refreshConnection(ORG_B);
    expect((await connB.query('SELECT Id FROM Lead')).totalSize).toBe(0);
    expect((await failure(connB.sobject('Lead').retrieve(a.id as string))).errorCode).toBe('NOT_FOUND');
    expect(connB.userInfo?.organizationId).toBe(ORG_B.orgId);
    expect(sim.records(ORG_B.orgId, 'Lead')).toEqual([]);
  });
});

describe('SOQL', () => {
  it('compares text case-insensitively, as Salesforce does', async () => {
    await conn.sobject('Lead').create([lead(1, { Email: 'Gil.Guest@Example.org' }), lead(2)]);
    const result = await conn.query("SELECT Id, Email FROM Lead WHERE Email IN ('gil.guest@example.ORG', 'nobody@example.org')");
    // Salesforce stores email addresses lower-cased (KB 000384328).
    expect(result.records.map((r) => r.Email)).toEqual(['gil.guest@example.org']);
    const count = await conn.query("SELECT COUNT() FROM Lead WHERE Company LIKE 'glance%'");
    expect(count.totalSize).toBe(2);
  });

  it('refuses an unescaped quote and matches a properly escaped one', async () => {
    await conn.sobject('Lead').create(lead(1, { LastName: "O'Brien", Email: "o'brien@example.org" }));
    const bad = await failure(conn.query("SELECT Id FROM Lead WHERE LastName = 'O'Brien'"));
    expect(bad.errorCode).toBe('MALFORMED_QUERY');
    const injected = await failure(conn.query("SELECT Id FROM Lead WHERE Email = 'x' OR Email != '' AND LastName = 'y'"));
    expect(injected.errorCode).toBe('MALFORMED_QUERY'); // SOQL refuses AND mixed with OR without parentheses
    const escaped = await conn.query("SELECT Id, LastName FROM Lead WHERE LastName = 'O\\'Brien' AND Email = 'O\\'BRIEN@example.org'");
    expect(escaped.records.map((r) => r.LastName)).toEqual(["O'Brien"]);
    expect((await failure(conn.query("SELECT Id FROM Lead WHERE LastName = 'a\\qb'"))).errorCode).toBe('MALFORMED_QUERY');
    expect((await failure(conn.query("SELECT Id FROM Lead WHERE LastName = 'a\\_b'"))).errorCode).toBe('MALFORMED_QUERY');
  });

  it('names unknown columns and objects, and refuses literals of the wrong type', async () => {
    const column = await failure(conn.query('SELECT Id, Foo__c FROM Lead'));
    expect(column.errorCode).toBe('INVALID_FIELD');
    expect(column.message).toContain("No such column 'Foo__c' on entity 'Lead'");
    expect((await failure(conn.query('SELECT Id FROM Leads'))).errorCode).toBe('INVALID_TYPE');
    const quotedDate = await failure(conn.query("SELECT Id FROM Glance_Session__c WHERE Start_Time__c > '2026-01-01T00:00:00Z'"));
    expect(quotedDate.errorCode).toBe('INVALID_FIELD');
    expect((await failure(conn.query("SELECT Id FROM Lead WHERE Id = 'abc'"))).errorCode).toBe('INVALID_QUERY_FILTER_OPERATOR');
    expect((await failure(conn.query("SELECT Id FROM Lead WHERE Description = 'x'"))).errorCode).toBe('INVALID_FIELD');
  });

  it('filters, orders, limits and follows lookups', async () => {
    const contact = await conn.sobject('Contact').create({ LastName: 'Client', Email: 'client@example.org' });
    const kase = await conn.sobject('Case').create({ Subject: 'Help', ContactId: contact.id });
    await conn.sobject('Glance_Session__c').create([
      session(1, { Start_Time__c: '2026-11-22T13:00:00Z', Case__c: kase.id, Guest_Count__c: 2 }),
      session(2, { Start_Time__c: '2026-11-22T15:00:00Z' }),
      session(3),
    ]);
    const after = await conn.query(
      'SELECT Glance_Session_Id__c, Case__r.Subject, Case__r.Contact.Email FROM Glance_Session__c WHERE Start_Time__c >= 2026-11-22T12:00:00Z ORDER BY Start_Time__c DESC LIMIT 5',
    );
    expect(after.records.map((r) => r.Glance_Session_Id__c)).toEqual(['12345.4821.2', '12345.4821.1']);
    expect(after.records[1]).toMatchObject({ Case__r: { Subject: 'Help', Contact: { Email: 'client@example.org' } } });
    expect(after.records[0]?.Case__r).toBeNull();
    const [caseRow] = (await conn.query(`SELECT CaseNumber, ContactEmail FROM Case WHERE Id = '${kase.id}'`)).records;
    expect(caseRow).toMatchObject({ CaseNumber: '00001001', ContactEmail: 'client@example.org' });
    const nulls = await conn.query('SELECT Id FROM Glance_Session__c WHERE Start_Time__c = null OR (Guest_Count__c > 1 AND Site__c = \'production\')');
    expect(nulls.totalSize).toBe(2);
  });

  it('refuses a query URI over 16,384 bytes (414) without counting it', async () => {
    const emails = Array.from({ length: 500 }, (_, i) => `'guest-number-${i}@example.org'`).join(', ');
    const before = sim.apiCalls(ORG_A.orgId);
    expect((await failure(conn.query(`SELECT Id FROM Lead WHERE Email IN (${emails})`))).errorCode).toBe('URI_TOO_LONG');
    expect(sim.apiCalls(ORG_A.orgId)).toBe(before);
  });

  it('pages large results with nextRecordsUrl, each page one call', async () => {
    for (let i = 0; i < 250; i++) sim.seed(ORG_A.orgId, 'Lead', lead(i));
    const before = sim.apiCalls(ORG_A.orgId);
    const result = await conn.query('SELECT Id FROM Lead', { autoFetch: true, maxFetch: 1000, headers: { 'Sforce-Query-Options': 'batchSize=200' } });
    expect(result.records).toHaveLength(250);
    expect(sim.apiCalls(ORG_A.orgId) - before).toBe(2);
  });
});

describe('limits and faults', () => {
  it('reports Sforce-Limit-Info and refuses calls past the daily limit', async () => {
    await conn.query('SELECT Id FROM Lead');
    expect(conn.limitInfo.apiUsage).toEqual({ used: 1, limit: 100000 });
    sim.setApiUsage(ORG_A.orgId, 99_999);
    await conn.query('SELECT Id FROM Lead');
    expect(conn.limitInfo.apiUsage).toEqual({ used: 100_000, limit: 100_000 });
    const refused = await failure(conn.query('SELECT Id FROM Lead'));
    expect(refused.errorCode).toBe('REQUEST_LIMIT_EXCEEDED');
    expect(refused.message).toBe('TotalRequests Limit exceeded.');
  });

  it('EXPIRED_SESSION: jsforce refreshes the token and retries transparently', async () => {
    await conn.query('SELECT Id FROM Lead');
    const oldToken = conn.accessToken;
    sim.injectFault({ orgId: ORG_A.orgId, fault: 'EXPIRED_SESSION' });
    const created = await conn.sobject('Lead').create(lead(1));
    expect(created.success).toBe(true);
    expect(conn.accessToken).not.toBe(oldToken);
    const old = await fetch(`${sim.url}/services/data/v${VERSION}/limits`, { headers: { Authorization: `Bearer ${oldToken}` } });
    expect(old.status).toBe(401);
  });

  it('EXPIRED_SESSION on a JWT org: the refreshFn mints a new assertion', async () => {
    const jwt = jwtConnection();
    await jwt.authorize({ grant_type: JWT_GRANT, assertion: assertion({}) });
    sim.injectFault({ fault: 'EXPIRED_SESSION', pathIncludes: '/query' });
    expect((await jwt.query('SELECT Id FROM Lead')).totalSize).toBe(0);
  });

  it('SERVICE_UNAVAILABLE: POST fails with 503, GET is retried by jsforce', async () => {
    sim.injectFault({ fault: 'SERVICE_UNAVAILABLE', method: 'POST' });
    const down = await failure(conn.sobject('Lead').create(lead(1)));
    expect(down.errorCode).toBe('ERROR_HTTP_503');
    expect(sim.records(ORG_A.orgId, 'Lead')).toEqual([]);
    sim.injectFault({ fault: 'SERVICE_UNAVAILABLE', method: 'GET' });
    expect((await conn.query('SELECT Id FROM Lead')).totalSize).toBe(0);
    expect(sim.pendingFaults()).toEqual([]);
  });

  it('REQUEST_LIMIT_EXCEEDED fault', async () => {
    sim.injectFault({ fault: 'REQUEST_LIMIT_EXCEEDED', pathIncludes: 'composite' });
    expect((await failure(conn.sobject('Lead').create([lead(1)]))).errorCode).toBe('REQUEST_LIMIT_EXCEEDED');
    expect((await conn.sobject('Lead').create([lead(1)]))[0]?.success).toBe(true);
  });

  it('UNABLE_TO_LOCK_ROW fails only the matching records of a collection, and single calls with 400', async () => {
    sim.injectFault({ fault: 'UNABLE_TO_LOCK_ROW', recordMatch: { Glance_Session_Id__c: '12345.4821.2' } });
    const results = await conn.sobject('Glance_Session__c').upsert([session(1), session(2), session(3)], 'Glance_Session_Id__c');
    expect(results.map((r) => r.success)).toEqual([true, false, true]);
    expect((results[1] as unknown as { errors: Array<{ statusCode: string }> }).errors[0]?.statusCode).toBe('UNABLE_TO_LOCK_ROW');
    sim.injectFault({ fault: 'UNABLE_TO_LOCK_ROW', method: 'PATCH' });
    const single = await failure(conn.sobject('Glance_Session__c').upsert(session(2), 'Glance_Session_Id__c'));
    expect(single.errorCode).toBe('UNABLE_TO_LOCK_ROW');
    expect((await conn.sobject('Glance_Session__c').upsert(session(2), 'Glance_Session_Id__c')).success).toBe(true);
  });

  it('DUPLICATES_DETECTED fails matching creates and stores nothing for them', async () => {
    sim.injectFault({ fault: 'DUPLICATES_DETECTED', recordMatch: { Email: 'guest2@example.org' } });
    const results = await conn.sobject('Lead').create([lead(1), lead(2)]);
    expect(results[1]).toEqual({ success: false, errors: [{ statusCode: 'DUPLICATES_DETECTED', message: 'Use one of these records?', fields: [] }] });
    expect(sim.records(ORG_A.orgId, 'Lead').map((r) => r.Email)).toEqual(['guest1@example.org']);
  });

  it('DUPLICATE_VALUE: the competing create of the new external id lands, this record is refused; upserting again updates it', async () => {
    sim.injectFault({ fault: 'DUPLICATE_VALUE', recordMatch: { Glance_Session_Id__c: '12345.4821.2' } });
    const results = await conn.sobject('Glance_Session__c').upsert([session(1), session(2)], 'Glance_Session_Id__c');
    expect(results.map((r) => r.success)).toEqual([true, false]);
    const [stored] = sim.records(ORG_A.orgId, 'Glance_Session__c').filter((r) => r.Glance_Session_Id__c === '12345.4821.2');
    expect((results[1] as unknown as { errors: unknown[] }).errors).toEqual([
      { statusCode: 'DUPLICATE_VALUE', message: `duplicate value found: Glance_Session_Id__c duplicates value on record with id: ${String(stored!.Id)}`, fields: [] },
    ]);
    const again = await conn.sobject('Glance_Session__c').upsert([session(2)], 'Glance_Session_Id__c');
    expect(again[0]).toMatchObject({ success: true, id: stored!.Id, created: false });
    expect(sim.records(ORG_A.orgId, 'Glance_Session__c')).toHaveLength(2);
    // An upsert that finds its record is an update, which this race cannot hit.
    sim.injectFault({ fault: 'DUPLICATE_VALUE', recordMatch: { Glance_Session_Id__c: '12345.4821.2' } });
    expect((await conn.sobject('Glance_Session__c').upsert([session(2)], 'Glance_Session_Id__c'))[0]?.success).toBe(true);
  });

  it('a record a duplicate rule refuses never wins a create race: the concurrent create would be refused too', async () => {
    sim.injectFault({ fault: 'DUPLICATES_DETECTED', pathIncludes: '/composite/sobjects/Glance_Session__c', recordMatch: { Glance_Session_Id__c: '12345.4821.8' }, times: Infinity });
    sim.injectFault({ fault: 'DUPLICATE_VALUE', pathIncludes: '/composite/sobjects/Glance_Session__c' });
    const results = await conn.sobject('Glance_Session__c').upsert([session(8)], 'Glance_Session_Id__c');
    expect((results[0] as unknown as { errors: Array<{ statusCode: string }> }).errors[0]!.statusCode).toBe('DUPLICATES_DETECTED');
    expect(sim.records(ORG_A.orgId, 'Glance_Session__c').filter((r) => r.Glance_Session_Id__c === '12345.4821.8')).toEqual([]);
  });

  it('two upserts in flight together creating one new external id: one creates, the other gets DUPLICATE_VALUE (no fault armed); one after the other just updates', async () => {
    sim.setUpsertWindow(150);
    try {
      const before = sim.raceLosses();
      const [a, b] = await Promise.all([
        conn.sobject('Glance_Session__c').upsert([session(7)], 'Glance_Session_Id__c'),
        conn.sobject('Glance_Session__c').upsert([session(7)], 'Glance_Session_Id__c'),
      ]);
      const outcomes = [a[0], b[0]].map((r) => (r!.success ? 'created' : (r as unknown as { errors: Array<{ statusCode: string }> }).errors[0]!.statusCode));
      expect(outcomes.sort()).toEqual(['DUPLICATE_VALUE', 'created']);
      expect(sim.records(ORG_A.orgId, 'Glance_Session__c').filter((r) => r.Glance_Session_Id__c === '12345.4821.7')).toHaveLength(1);
      expect(sim.raceLosses()).toBe(before + 1);
      // Sequential upserts never race: the second finds the record and updates it.
      const again = await conn.sobject('Glance_Session__c').upsert([session(7)], 'Glance_Session_Id__c');
      expect(again[0]).toMatchObject({ success: true, created: false });
    } finally {
      sim.setUpsertWindow(0);
    }
  });

  it('a revoked refresh token answers invalid_grant and its access tokens stop working; a new one works', async () => {
    const connB = refreshConnection(ORG_B);
    await connB.query('SELECT Id FROM Lead');
    sim.revokeRefreshToken(ORG_B.orgId);
    const refused = await failure(connB.query('SELECT Id FROM Lead'));
    expect(`${refused.name} ${refused.message}`).toMatch(/invalid_grant|expired access\/refresh token/);
    sim.revokeRefreshToken(ORG_B.orgId, ORG_B.refreshToken);
    expect((await refreshConnection(ORG_B).query('SELECT Id FROM Lead')).totalSize).toBe(0);
  });

  it('clearFaults(orgId) disarms only that org', async () => {
    sim.injectFault({ fault: 'SERVICE_UNAVAILABLE', orgId: ORG_A.orgId, times: Infinity });
    sim.injectFault({ fault: 'SERVICE_UNAVAILABLE', orgId: ORG_B.orgId, times: Infinity });
    sim.clearFaults(ORG_A.orgId);
    expect(sim.pendingFaults().map((f) => f.orgId)).toEqual([ORG_B.orgId]);
  });

  it('faults can be injected over HTTP', async () => {
    const res = await fetch(`${sim.url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fault: 'REQUEST_LIMIT_EXCEEDED', orgId: ORG_B.orgId, times: 'Infinity' }),
    });
    expect(res.status).toBe(201);
    const connB = refreshConnection(ORG_B);
    expect((await failure(connB.query('SELECT Id FROM Lead'))).errorCode).toBe('REQUEST_LIMIT_EXCEEDED');
    expect((await conn.query('SELECT Id FROM Lead')).totalSize).toBe(0);
    await fetch(`${sim.url}/__sim/faults`, { method: 'DELETE' });
    expect((await connB.query('SELECT Id FROM Lead')).totalSize).toBe(0);
  });
});

describe('Chatter', () => {
  it('posts one feed element and stores a FeedItem', async () => {
    const kase = await conn.sobject('Case').create({ Subject: 'Help' });
    const element = await conn.requestPost<{ id: string; type: string }>('/chatter/feed-elements', {
      feedElementType: 'FeedItem',
      subjectId: kase.id,
      body: {
        messageSegments: [
          { type: 'Text', text: 'Glance session started: ' },
          { type: 'Link', url: 'https://www.glance.net/agentjoin/abc' },
        ],
      },
    });
    expect(element.id).toMatch(/^0D5/);
    expect(sim.records(ORG_A.orgId, 'FeedItem')).toEqual([
      expect.objectContaining({
        Id: element.id,
        ParentId: kase.id,
        Type: 'TextPost',
        Body: 'Glance session started: https://www.glance.net/agentjoin/abc',
      }),
    ]);
    const missing = await failure(
      conn.requestPost('/chatter/feed-elements', {
        feedElementType: 'FeedItem',
        subjectId: id18('5005g00000Nope1'),
        body: { messageSegments: [{ type: 'Text', text: 'x' }] },
      }),
    );
    expect(missing.errorCode).toBe('NOT_FOUND');
  });

  it('batch posts in one call, with per-item results', async () => {
    const kase = await conn.sobject('Case').create({ Subject: 'Help' });
    const before = sim.apiCalls(ORG_A.orgId);
    const post = (subjectId: string, text: string) => ({
      richInput: { feedElementType: 'FeedItem', subjectId, body: { messageSegments: [{ type: 'Text', text }] } },
    });
    const res = await conn.requestPost<{ hasErrors: boolean; results: Array<{ statusCode: number; result: unknown }> }>(
      '/chatter/feed-elements/batch',
      { inputs: [post(kase.id as string, 'one'), post(id18('5005g00000Nope1'), 'two'), post(kase.id as string, 'three')] },
    );
    expect(sim.apiCalls(ORG_A.orgId) - before).toBe(1);
    expect(res.hasErrors).toBe(true);
    expect(res.results.map((r) => r.statusCode)).toEqual([201, 404, 201]);
    expect(sim.records(ORG_A.orgId, 'FeedItem').map((r) => r.Body)).toEqual(['one', 'three']);
    const tooMany = Array.from({ length: 501 }, () => post(kase.id as string, 'x'));
    expect((await failure(conn.requestPost('/chatter/feed-elements/batch', { inputs: tooMany }))).errorCode).toBe('INVALID_API_INPUT');
  });
});

describe('inspection', () => {
  it('serves records and orgs without counting calls', async () => {
    const id = sim.seed(ORG_A.orgId, 'Lead', lead(1));
    const records = (await (await fetch(`${sim.url}/__sim/sobjects/Lead?orgId=${ORG_A.orgId}`)).json()) as Array<Record<string, unknown>>;
    expect(records.map((r) => r.Id)).toEqual([id]);
    const orgs = (await (await fetch(`${sim.url}/__sim/orgs`)).json()) as Array<{ orgId: string; apiCalls: number }>;
    expect(orgs.map((o) => [o.orgId, o.apiCalls])).toEqual([
      [ORG_A.orgId, 0],
      [ORG_B.orgId, 0],
    ]);
    expect((await fetch(`${sim.url}/__sim/sobjects/Lead`)).status).toBe(400); // two orgs: orgId required
    await fetch(`${sim.url}/__sim/reset`, { method: 'POST' });
    expect(sim.records(ORG_A.orgId, 'Lead')).toEqual([]);
  });
});
