import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { id18, startSalesforceSim, type SalesforceSim } from '../../local/salesforce-sim/index.ts';
import { loadSalesforcePackage, PACKAGE_SOURCE_DIR, PackageFileError, salesforcePackage } from '../../shared/adapters/salesforce-package-files.ts';
import { checkSalesforceOrg } from '../../shared/adapters/salesforce-org-check.ts';
import { toGlanceSessionRecord } from '../../shared/glance-session-record.ts';
import { leadRecord } from '../../shared/guest-leads.ts';
import { canonicalOrgId } from '../../shared/org.ts';
import { routeSessionToOrg } from '../../shared/processing/org-routing.ts';
import { defaultSettings, type Org } from '../../shared/org.ts';
import { describeTypeOf, hasFieldSecurity, INTEGRATION_PERMISSION_SET } from '../../shared/salesforce-package.ts';
import { PACKAGE_FIELDS } from '../../shared/field-fit.ts';
import { logRecord, syncRunRecord } from '../../shared/sync/salesforce-admin-records.ts';
import { noRunEffects } from '../../shared/sync/run-effects.ts';
import { queuedRun } from '../../shared/sync/sync-history.ts';
import { salesforceId18, sameSalesforceId } from '../../shared/salesforce-id.ts';
import { sampleSession } from '../support/fixtures.ts';

const pkg = salesforcePackage();
const object = (name: string) => pkg.objects.find((o) => o.name === name)!;
const permissionSet = pkg.permissionSets.find((p) => p.name === INTEGRATION_PERMISSION_SET)!;

describe('the Salesforce DX package holds exactly what the pipeline writes', () => {
  it('every Glance_Session__c field the pipeline writes is declared, and nothing else', () => {
    const written = Object.keys(toGlanceSessionRecord(sampleSession({ origin: { salesforceOrgId: '00D5g000000AbCdEAK', recordId: null } }), '00D5g000000AbCdEAK', '2026-11-22T13:14:05Z'));
    // Lookups are added per session from the org's describe; the package declares one per related object.
    const lookups = ['Case__c', 'Contact__c', 'Lead__c', 'Opportunity__c'];
    expect(object('Glance_Session__c').fields.map((f) => f.name).sort()).toEqual([...written, ...lookups].sort());
  });

  it("Glance_Sync_Run__c and Glance_Log__c (the admin's view in the org) declare exactly the fields their records carry", () => {
    // Shaped in shared/sync/salesforce-admin-records.ts and upserted by the pipeline (shared/processing/
    // admin-records.ts): a run's record when its pull ends and when its events settle, Debug Mode's
    // logs with each batch; test/integration/sync-history.test.ts reads them back from the simulator.
    const run = queuedRun('00D5g000000AbCdEAK', 'run-1', 'schedule', new Date('2026-11-22T13:00:00.000Z'));
    const runFields = Object.keys(syncRunRecord(run, 'processing', noRunEffects(), null));
    expect(object('Glance_Sync_Run__c').fields.map((f) => f.name).sort()).toEqual(runFields.sort());
    const log = logRecord({
      orgId: '00D5g000000AbCdEAK', sessionId: '12345.1.1', eventId: 'e-1', at: '2026-11-22T13:14:05.000Z', recorded: true,
      route: 'r', link: 'l', leads: [], values: [], chatter: 'c', outcome: 'recorded', salesforceCalls: [],
    });
    expect(object('Glance_Log__c').fields.map((f) => f.name).sort()).toEqual(Object.keys(log).sort());
  });

  it('every custom Lead field the pipeline writes is declared', () => {
    const written = Object.keys(leadRecord(sampleSession(), 0, 'gil@example.org')).filter((k) => k.endsWith('__c'));
    expect(object('Lead').fields.map((f) => f.name).sort()).toEqual(written.sort());
  });

  it('declares the external ids: Glance_Session_Id__c unique and case-sensitive, Lead.Glance_Guest_Key__c unique and case-insensitive', () => {
    expect(object('Glance_Session__c').fields.find((f) => f.name === 'Glance_Session_Id__c')).toMatchObject({ type: 'Text', length: 80, externalId: true, unique: true, caseSensitive: true, required: true });
    expect(object('Lead').fields.find((f) => f.name === 'Glance_Guest_Key__c')).toMatchObject({ type: 'Text', externalId: true, unique: true, caseSensitive: false });
    expect(object('Glance_Session__c').fields.filter((f) => f.type === 'Lookup').map((f) => f.referenceTo).sort()).toEqual(['Case', 'Contact', 'Lead', 'Opportunity']);
  });

  it('the permission set grants every package field it can, edit access, and no delete', () => {
    const granted = new Set(permissionSet.fields.filter((f) => f.readable && f.editable).map((f) => f.field));
    for (const o of pkg.objects) {
      for (const f of o.fields) expect(granted.has(`${o.name}.${f.name}`), `${o.name}.${f.name}`).toBe(hasFieldSecurity(f));
    }
    expect(permissionSet.objects.filter((o) => o.delete)).toEqual([]);
    // The two admin-view objects are written by the pipeline too (see above).
    expect(permissionSet.objects.filter((o) => o.create).map((o) => o.object).sort()).toEqual(['Glance_Log__c', 'Glance_Session__c', 'Glance_Sync_Run__c', 'Lead']);
    expect(permissionSet.userPermissions).toEqual(['ApiEnabled']);
  });

  it("the field specs the pipeline fits values to before describe is read are the package's own", () => {
    for (const name of ['Glance_Session__c', 'Lead', 'Glance_Sync_Run__c', 'Glance_Log__c'] as const) {
      for (const [field, spec] of Object.entries(PACKAGE_FIELDS[name])) {
        const declared = object(name).fields.find((f) => f.name === field);
        if (!declared) continue; // a standard Lead field: Salesforce's standard length
        expect({ field, type: describeTypeOf(declared.type), length: declared.length }).toEqual({ field, ...spec, length: spec.type === 'datetime' ? 0 : spec.length });
      }
    }
  });

  it('a broken metadata file is refused naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-package-'));
    try {
      cpSync(PACKAGE_SOURCE_DIR, dir, { recursive: true });
      const file = join(dir, 'objects/Lead/fields/Glance_Session_Id__c.field-meta.xml');
      writeFileSync(file, '<?xml version="1.0"?><CustomField><fullName>Glance_Session_Id__c</fullName><type>Text</type>');
      expect(() => loadSalesforcePackage(dir)).toThrow(PackageFileError);
      expect(() => loadSalesforcePackage(dir)).toThrow(/Glance_Session_Id__c\.field-meta\.xml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('org ids: the 15- and 18-character forms are one org', () => {
  it('computes the checksum, reads an 18-character id case-insensitively and refuses a wrong checksum', () => {
    expect(salesforceId18('00D5g000000AbCd')).toBe('00D5g000000AbCdEAK');
    expect(salesforceId18('00D5G000000ABCDEAK')).toBe('00D5g000000AbCdEAK'); // the suffix says the case
    expect(salesforceId18('00d5g000000abcdEAK')).toBe('00D5g000000AbCdEAK');
    expect(salesforceId18('00D5g000000AbCdAAA')).toBe('00d5g000000abcdAAA'); // another id, not an org's
    expect(salesforceId18('00D5g000000AbCdZZZ')).toBeUndefined(); // digits cannot be upper-case
    expect(canonicalOrgId('00D5g000000AbCd')).toBe('00D5g000000AbCdEAK');
    expect(canonicalOrgId('00D5g000000AbCdAAA')).toBeUndefined();
    expect(sameSalesforceId('00D5g000000AbCd', '00D5g000000AbCdEAK')).toBe(true);
    expect(sameSalesforceId('00D5g000000abcd', '00D5g000000AbCdEAK')).toBe(false);
  });

  it('routes a session launched from the 15-character form to the org registered with the 18-character form', () => {
    const org: Org = {
      orgId: '00D5g000000AbCdEAK',
      name: 'Acme',
      environment: 'production',
      loginUrl: 'https://login.salesforce.com',
      installedAt: '2026-11-01T00:00:00Z',
      groups: [12345],
      settings: defaultSettings(),
      createdAt: '2026-11-01T00:00:00Z',
      updatedAt: '2026-11-01T00:00:00Z',
    };
    const from15 = sampleSession({ origin: { salesforceOrgId: '00D5g000000AbCd', recordId: null } });
    expect(routeSessionToOrg(from15, org)).toMatchObject({ record: true, launchedHere: true });
    const record = toGlanceSessionRecord(from15, org.orgId, '2026-11-22T13:14:05Z');
    expect(record.Launched_From_This_Org__c).toBe(true);
  });
});

describe('orgs check against the simulator', () => {
  let sim: SalesforceSim;
  const READY = { orgId: id18('00D5g000000ReDy'), username: 'ready@a.example', clientId: 'client-ready', refreshToken: 'refresh-ready' };
  const WRONG = {
    orgId: id18('00D5g000000WrOn'),
    username: 'wrong@a.example',
    clientId: 'client-wrong',
    refreshToken: 'refresh-wrong',
    schema: {
      missingFields: ['Glance_Session__c.Host_Email__c', 'Lead.Glance_Session_Id__c'],
      notExternalId: ['Lead.Glance_Guest_Key__c'],
      lengths: { 'Glance_Session__c.Session_Key__c': 20 },
      readOnlyFields: ['Glance_Session__c.Status__c'],
      readOnlyObjects: ['Lead'],
    },
  };
  const credentials = (org: { clientId: string; refreshToken: string }) => ({ authType: 'refresh_token' as const, loginUrl: sim.url, clientId: org.clientId, refreshToken: org.refreshToken });

  beforeAll(async () => {
    sim = await startSalesforceSim();
    sim.addOrg(READY);
    sim.addOrg(WRONG);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('passes on an org with the package deployed', async () => {
    expect(await checkSalesforceOrg(credentials(READY))).toEqual({ orgId: READY.orgId, problems: [] });
  });

  it('names every problem of an org set up wrong, each with what to do', async () => {
    const { orgId, problems } = await checkSalesforceOrg(credentials(WRONG));
    expect(orgId).toBe(WRONG.orgId);
    expect(problems.map((p) => `${p.where}: ${p.problem}`).sort()).toEqual([
      'Glance_Session__c.Host_Email__c: missing, or not visible to the integration user',
      'Glance_Session__c.Session_Key__c: holds 20 characters; the package needs 50',
      'Glance_Session__c.Status__c: the integration user cannot write it',
      'Lead.Glance_Guest_Key__c: is not Unique: a retried create could make a second record',
      'Lead.Glance_Guest_Key__c: is not marked External ID: upserts by it are refused (404 NOT_FOUND)',
      'Lead.Glance_Session_Id__c: missing, or not visible to the integration user',
      'Lead: the integration user cannot create or edit its records',
    ]);
    expect(problems.find((p) => p.where === 'Glance_Session__c.Host_Email__c')?.fix).toMatch(/project deploy start --source-dir force-app.*org assign permset --name Glance_Sync_Integration/);
    expect(problems.find((p) => p.problem.includes('External ID'))?.fix).toBe('in Setup, edit Lead.Glance_Guest_Key__c and check External ID and Unique');
  });

  it('a refused login says so with INVALID_GRANT and never the credential', async () => {
    const error = await checkSalesforceOrg({ ...credentials(READY), refreshToken: 'not-the-token' }).catch((e: unknown) => e as Error & { errorCode?: string });
    expect(error).toMatchObject({ errorCode: 'INVALID_GRANT' });
    expect((error as Error).message).not.toContain('not-the-token');
  });
});
