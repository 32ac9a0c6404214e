import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GetScheduleCommand, ListSchedulesCommand } from '@aws-sdk/client-scheduler';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { startMoto, useLocalAws, type MotoServer } from '../../local/moto.ts';
import { createLocalResources, type LocalResources } from '../../local/aws-resources.ts';
import { resetAwsClients, scheduler, secretsManager } from '../../shared/adapters/aws-clients.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { schedulerSchedules } from '../../shared/adapters/schedules.ts';
import type { OrgSchedules } from '../../shared/org-admin-ports.ts';
import { cachedSecretReader, secretExists, secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import { secretNames } from '../../shared/secret-names.ts';
import type { SalesforceCredentials } from '../../shared/salesforce-credentials.ts';
import { DEFAULTS } from '../../shared/config.ts';
import {
  AdminError,
  addOrg,
  pairOrg,
  registerGroup,
  removeOrg,
  setSalesforceCredentials,
  unpairOrg,
  updateSettings,
  type OrgAdminDeps,
} from '../../shared/org-admin.ts';
import type { SettingsPatch } from '../../shared/org-settings.ts';
import { nextScheduledSync } from '../../shared/schedule.ts';
import { storeGlanceCredentials } from '../../shared/sync/glance-credentials.ts';
import { GlanceActivityError } from '../../shared/sync/glance-activity.ts';

const ORG = '00D5g000000AbCdEAK';
const SANDBOX = '00D5g000000SbXyEAK';
const RULE = `glance-sync-org-${ORG}`;
const INSTALLED = '2026-11-22T13:14:00Z';
const CREDENTIALS: SalesforceCredentials = {
  authType: 'refresh_token',
  loginUrl: 'https://login.salesforce.com',
  clientId: 'client-1',
  refreshToken: 'refresh-token-value-1',
};

let moto: MotoServer;
let resources: LocalResources;
let clock: Date;

function deps(overrides: Partial<OrgAdminDeps> = {}): OrgAdminDeps {
  return {
    registry: dynamoOrgRegistry(resources.orgsTable),
    secrets: secretsManagerWriter(),
    secretPrefix: DEFAULTS.secretPrefix,
    schedules: schedulerSchedules({ syncQueueArn: resources.syncQueueArn, roleArn: resources.schedulerRoleArn, groupName: resources.scheduleGroupName, now: () => clock }),
    now: () => clock,
    ...overrides,
  };
}

/** The org's schedule as EventBridge Scheduler (moto) holds it, or null. */
async function rule(name = RULE) {
  try {
    const s = await scheduler().send(new GetScheduleCommand({ Name: name, GroupName: resources.scheduleGroupName }));
    return {
      expression: s.ScheduleExpression,
      timezone: s.ScheduleExpressionTimezone,
      flexibleTimeWindow: s.FlexibleTimeWindow?.Mode,
      state: s.State,
      description: s.Description,
      targets: s.Target ? [{ arn: s.Target.Arn, roleArn: s.Target.RoleArn, input: JSON.parse(s.Target.Input ?? 'null') }] : [],
    };
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return null;
    throw error;
  }
}

async function addTestOrg(orgId = ORG, settings: SettingsPatch = {}) {
  return addOrg(deps(), { orgId, name: `Org ${orgId}`, environment: 'production', installedAt: INSTALLED, settings }, CREDENTIALS);
}

async function errorOf(promise: Promise<unknown>): Promise<AdminError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AdminError);
  return error as AdminError;
}

beforeAll(async () => {
  moto = await startMoto();
  useLocalAws(moto.endpoint);
  resetAwsClients();
});

afterAll(async () => {
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  resources = await createLocalResources();
  clock = new Date(INSTALLED);
});

describe('settings changes are validated, each error naming the setting', () => {
  it.each<[string, unknown, RegExp]>([
    ['an unknown setting', { colour: 'blue' }, /^unknown setting 'colour'; known settings: syncFrequency, createLeadsForGuests, logSessionsStartedOutside, chatterOnSessionStart, debugMode, sites, recordMapping, defaultGlanceAdmin, pauseHoldHours, sso\.mode, sso\.partnerUserIdField, sso\.nonAdminPartnerUserId, sso\.loginKeyLifetimeSeconds$/],
    ['an unknown sso setting', { sso: { colour: 'blue' } }, /^unknown setting 'sso\.colour'/],
    ['syncFrequency', { syncFrequency: 'weekly' }, /^syncFrequency must be one of hourly, every_2_hours, daily, never; got 'weekly'$/],
    ['createLeadsForGuests', { createLeadsForGuests: 'always' }, /^createLeadsForGuests must be one of never, new_email, new_email_and_name; got 'always'$/],
    ['logSessionsStartedOutside', { logSessionsStartedOutside: 'yes' }, /^logSessionsStartedOutside must be on or off \(true or false\); got 'yes'$/],
    ['chatterOnSessionStart', { chatterOnSessionStart: 1 }, /^chatterOnSessionStart must be on or off \(true or false\); got 1$/],
    ['debugMode', { debugMode: null }, /^debugMode must be on or off \(true or false\); got null$/],
    ['sites (empty)', { sites: [] }, /^sites must be a non-empty list of production, staging; got \[\]$/],
    ['sites (unknown site)', { sites: ['production', 'prod'] }, /^sites must be a list of production, staging; got 'prod'$/],
    ['recordMapping (not an object)', { recordMapping: ['Case'] }, /^recordMapping must be a JSON object such as \{"Case": \{"ContactEmail": "user_email"\}\}; got \["Case"\]$/],
    ['recordMapping (sObject name)', { recordMapping: { 'Case!': { ContactEmail: 'user_email' } } }, /^recordMapping: 'Case!' is not an sObject API name/],
    ['recordMapping (fields not an object)', { recordMapping: { Case: 'user_email' } }, /^recordMapping\.Case must be an object of \{field: custom data key\}; got 'user_email'$/],
    ['recordMapping (field name)', { recordMapping: { Case: { 'Contact Email': 'user_email' } } }, /^recordMapping\.Case: 'Contact Email' is not a field API name/],
    ['recordMapping (custom data key)', { recordMapping: { Case: { ContactEmail: 'user email' } } }, /^recordMapping\.Case\.ContactEmail: 'user email' is not a custom data key/],
    ['recordMapping (key not text)', { recordMapping: { Case: { ContactEmail: 5 } } }, /^recordMapping\.Case\.ContactEmail: 5 is not a custom data key/],
    ['defaultGlanceAdmin', { defaultGlanceAdmin: 'x'.repeat(256) }, /^defaultGlanceAdmin must be at most 255 characters; got 256$/],
    ['sso (not an object)', { sso: 'saml' }, /^sso must be an object of mode, partnerUserIdField, nonAdminPartnerUserId, loginKeyLifetimeSeconds; got 'saml'$/],
    ['sso.mode', { sso: { mode: 'oauth' } }, /^sso\.mode must be one of saml, login_key, none; got 'oauth'$/],
    ['sso.partnerUserIdField', { sso: { partnerUserIdField: 'Federation Id' } }, /^sso\.partnerUserIdField must be a User field API name such as FederationIdentifier; got 'Federation Id'$/],
    ['sso.nonAdminPartnerUserId', { sso: { nonAdminPartnerUserId: 42 } }, /^sso\.nonAdminPartnerUserId must be text or null; got 42$/],
    ['sso.loginKeyLifetimeSeconds (over a day)', { sso: { loginKeyLifetimeSeconds: 86_401 } }, /^sso\.loginKeyLifetimeSeconds must be a whole number of seconds from 60 to 86400 .*; got 86401$/],
    ['sso.loginKeyLifetimeSeconds (too short)', { sso: { loginKeyLifetimeSeconds: 59 } }, /from 60 to 86400 .*; got 59$/],
    ['sso.loginKeyLifetimeSeconds (fraction)', { sso: { loginKeyLifetimeSeconds: 90.5 } }, /got 90\.5$/],
  ])('%s', async (_setting, patch, message) => {
    const before = await addTestOrg();
    clock = new Date('2026-11-23T00:00:00Z');
    const error = await errorOf(updateSettings(deps(), ORG, { debugMode: true, ...(patch as SettingsPatch) }));
    expect(error.message).toMatch(message);
    expect(error.code).toBe('invalid');
    // Nothing is saved, not even the valid part of the patch.
    expect(await deps().registry.getOrg(ORG)).toEqual(before);
  });

  it('a valid change is saved and reported; the rest of the settings stay', async () => {
    await addTestOrg(ORG, { chatterOnSessionStart: true });
    const { org, changes } = await updateSettings(deps(), ORG, {
      createLeadsForGuests: 'new_email',
      recordMapping: { Case: { ContactEmail: 'user_email' } },
      sso: { nonAdminPartnerUserId: 'sync-bot' },
    });
    expect(changes.map((c) => c.setting)).toEqual(['createLeadsForGuests', 'recordMapping', 'sso.nonAdminPartnerUserId']);
    const stored = await deps().registry.getOrg(ORG);
    expect(stored).toEqual(org);
    expect(stored?.settings).toMatchObject({ chatterOnSessionStart: true, createLeadsForGuests: 'new_email', sso: { mode: 'none', nonAdminPartnerUserId: 'sync-bot' } });
  });

  it('an unknown org is reported as not found', async () => {
    const error = await errorOf(updateSettings(deps(), ORG, { debugMode: true }));
    expect(error).toMatchObject({ code: 'not_found', message: `org ${ORG} is not registered` });
  });
});

describe('the SSO pairing rule: an SSO-enabled org is paired with one group at most', () => {
  beforeEach(async () => {
    await registerGroup(deps(), 111);
    await registerGroup(deps(), 222);
  });

  it('refuses pairing a second group to an org with SSO on', async () => {
    await addTestOrg(ORG, { sso: { mode: 'login_key' } });
    await pairOrg(deps(), ORG, 111);
    const error = await errorOf(pairOrg(deps(), ORG, 222));
    expect(error.message).toMatch(/org 00D5g000000AbCdEAK uses SSO \(login_key\) and an SSO-enabled org may be paired with one Glance group only; it would be paired with groups 111, 222/);
    expect((await deps().registry.getOrg(ORG))?.groups).toEqual([111]);
    expect(await deps().registry.orgsForGroup(222)).toEqual([]);
  });

  it('refuses turning SSO on for an org paired with two groups', async () => {
    await addTestOrg();
    await pairOrg(deps(), ORG, 111);
    await pairOrg(deps(), ORG, 222);
    const error = await errorOf(updateSettings(deps(), ORG, { sso: { mode: 'saml' } }));
    expect(error.message).toMatch(/uses SSO \(saml\) and an SSO-enabled org may be paired with one Glance group only; it would be paired with groups 111, 222/);
    expect((await deps().registry.getOrg(ORG))?.settings.sso.mode).toBe('none');
  });

  it('allows SSO with one group, and a second group once SSO is off again', async () => {
    await addTestOrg();
    await pairOrg(deps(), ORG, 111);
    await updateSettings(deps(), ORG, { sso: { mode: 'saml' } });
    await updateSettings(deps(), ORG, { sso: { mode: 'none' } });
    const org = await pairOrg(deps(), ORG, 222);
    expect(org.groups).toEqual([111, 222]);
    expect((await deps().registry.orgsForGroup(222)).map((o) => o.orgId)).toEqual([ORG]);
  });

  it('holds when pairing and enabling SSO race', async () => {
    await addTestOrg();
    await pairOrg(deps(), ORG, 111);
    const results = await Promise.allSettled([pairOrg(deps(), ORG, 222), updateSettings(deps(), ORG, { sso: { mode: 'login_key' } })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const org = (await deps().registry.getOrg(ORG))!;
    expect(org.settings.sso.mode !== 'none' && org.groups.length > 1).toBe(false);
  });

  it('pairing needs a registered group, and unpairing one not paired changes nothing', async () => {
    await addTestOrg();
    expect(await errorOf(pairOrg(deps(), ORG, 333))).toMatchObject({ code: 'not_found', message: expect.stringMatching(/group 333 is not registered/) });
    await pairOrg(deps(), ORG, 111);
    expect((await unpairOrg(deps(), ORG, 222)).groups).toEqual([111]);
    expect((await unpairOrg(deps(), ORG, 111)).groups).toEqual([]);
    expect(await deps().registry.orgsForGroup(111)).toEqual([]);
  });
});

describe('the org schedule as it lands in EventBridge Scheduler', () => {
  it('is created with the org in the stack group: anchored at the install minute in UTC, on the minute, sending the sync queue the org and trigger through the scheduler role', async () => {
    await addTestOrg();
    expect(await rule()).toEqual({
      expression: 'cron(14 * * * ? *)',
      timezone: 'UTC',
      flexibleTimeWindow: 'OFF',
      state: 'ENABLED',
      description: expect.stringMatching(/org 00D5g000000AbCdEAK \(Org 00D5g000000AbCdEAK\): hourly/),
      targets: [{ arn: resources.syncQueueArn, roleArn: resources.schedulerRoleArn, input: { orgId: ORG, trigger: 'schedule' } }],
    });
  });

  it.each([
    ['hourly', 'cron(14 * * * ? *)', '2026-11-22T14:14:00.000Z'],
    ['every_2_hours', 'cron(14 1/2 * * ? *)', '2026-11-22T15:14:00.000Z'],
    ['daily', 'cron(14 13 * * ? *)', '2026-11-23T13:14:00.000Z'],
  ] as const)('BRIEF example, installed 13:14, %s: %s, first sync %s', async (frequency, expression, first) => {
    await addTestOrg(ORG, { syncFrequency: frequency });
    expect((await rule())?.expression).toBe(expression);
    const described = await deps().schedules.describe(ORG);
    expect(described?.nextFireAt).toBe(first);
    expect(nextScheduledSync(frequency, new Date(INSTALLED), clock)?.toISOString()).toBe(first);
  });

  it('is replaced when the frequency changes, removed for never and made again after', async () => {
    await addTestOrg();
    await updateSettings(deps(), ORG, { syncFrequency: 'every_2_hours' });
    expect(await rule()).toMatchObject({ expression: 'cron(14 1/2 * * ? *)', description: expect.stringMatching(/every_2_hours/), targets: [{ arn: resources.syncQueueArn }] });
    await updateSettings(deps(), ORG, { syncFrequency: 'daily' });
    expect(await rule()).toMatchObject({ expression: 'cron(14 13 * * ? *)', targets: [{ input: { orgId: ORG, trigger: 'schedule' } }] });
    await updateSettings(deps(), ORG, { syncFrequency: 'never' });
    expect(await rule()).toBeNull();
    expect((await scheduler().send(new ListSchedulesCommand({ GroupName: resources.scheduleGroupName }))).Schedules).toEqual([]);
    await updateSettings(deps(), ORG, { syncFrequency: 'hourly' });
    expect((await rule())?.expression).toBe('cron(14 * * * ? *)');
  });

  it('is not made for an org registered with never', async () => {
    await addTestOrg(ORG, { syncFrequency: 'never' });
    expect(await rule()).toBeNull();
  });

  it('is repaired by setting the same frequency again', async () => {
    await addTestOrg();
    await deps().schedules.remove(ORG);
    const { changes } = await updateSettings(deps(), ORG, { syncFrequency: 'hourly' });
    expect(changes).toEqual([]);
    expect((await rule())?.expression).toBe('cron(14 * * * ? *)');
  });

  it('each org has its own rule, anchored at its own install time', async () => {
    await addTestOrg();
    await addOrg(deps(), { orgId: SANDBOX, name: 'Sandbox', environment: 'sandbox', installedAt: '2026-11-22T08:05:30Z', settings: { syncFrequency: 'every_2_hours' } }, CREDENTIALS);
    expect((await rule(`glance-sync-org-${SANDBOX}`))?.expression).toBe('cron(5 0/2 * * ? *)');
    expect((await rule())?.expression).toBe('cron(14 * * * ? *)');
  });

  it('an org whose rule cannot be made is not left half registered', async () => {
    const failing: OrgSchedules = { ...deps().schedules, apply: async () => Promise.reject(new Error('EventBridge is down')) };
    await expect(addOrg(deps({ schedules: failing }), { orgId: ORG, name: 'Acme', environment: 'production' }, CREDENTIALS)).rejects.toThrow('EventBridge is down');
    expect(await deps().registry.getOrg(ORG)).toBeNull();
    expect(await secretExists(secretNames.orgSalesforce(DEFAULTS.secretPrefix, ORG))).toBe(false);
    // and the same command then simply works
    await addTestOrg();
    expect(await secretExists(secretNames.orgSalesforce(DEFAULTS.secretPrefix, ORG))).toBe(true);
  });
});

describe('removeOrg', () => {
  it('removes the org, its pairings, its schedule rule and its secrets', async () => {
    await registerGroup(deps(), 111);
    await addTestOrg();
    await addOrg(deps(), { orgId: SANDBOX, name: 'Sandbox', environment: 'sandbox', installedAt: INSTALLED }, CREDENTIALS);
    await pairOrg(deps(), ORG, 111);
    await pairOrg(deps(), SANDBOX, 111);

    const removed = await removeOrg(deps(), ORG);
    expect(removed.orgId).toBe(ORG);
    expect(await deps().registry.getOrg(ORG)).toBeNull();
    expect((await deps().registry.listOrgs()).map((o) => o.orgId)).toEqual([SANDBOX]);
    expect((await deps().registry.orgsForGroup(111)).map((o) => o.orgId)).toEqual([SANDBOX]);
    expect(await rule()).toBeNull();
    expect(await rule(`glance-sync-org-${SANDBOX}`)).not.toBeNull();
    for (const name of [secretNames.orgSalesforce(DEFAULTS.secretPrefix, ORG)]) {
      const described = await secretsManager().send(new DescribeSecretCommand({ SecretId: name }));
      expect(described.DeletedDate, name).toBeInstanceOf(Date);
    }
    expect(await secretExists(secretNames.orgSalesforce(DEFAULTS.secretPrefix, SANDBOX))).toBe(true);
  });

  it("forgets the org's sync watermark and pause, so an org registered again starts afresh", async () => {
    await addTestOrg();
    const { PutCommand, GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const { dynamo } = await import('../../shared/adapters/aws-clients.ts');
    const { orgHealthKey } = await import('../../shared/adapters/org-pauses.ts');
    const keys = [{ pk: `ORG#${ORG}`, sk: 'SYNC' }, { pk: `ORG#${ORG}`, sk: 'LEASE' }, orgHealthKey(ORG)];
    for (const key of keys) {
      await dynamo().send(new PutCommand({ TableName: resources.orgsTable, Item: { ...key, marker: 'old' } }));
    }
    await removeOrg(deps(), ORG);
    for (const key of keys) {
      const out = await dynamo().send(new GetCommand({ TableName: resources.orgsTable, Key: key }));
      expect(out.Item, key.sk).toBeUndefined();
    }
  });

  it('an org removed can be registered again while its old secrets wait for deletion', async () => {
    await addTestOrg();
    await removeOrg(deps(), ORG);
    await addOrg(deps(), { orgId: ORG, name: 'Again', environment: 'production', installedAt: INSTALLED }, { ...CREDENTIALS, refreshToken: 'refresh-token-value-2' });
    const stored = await cachedSecretReader().read(secretNames.orgSalesforce(DEFAULTS.secretPrefix, ORG));
    expect(JSON.parse(stored!)).toMatchObject({ refreshToken: 'refresh-token-value-2' });
    expect(await secretExists(secretNames.orgSalesforce(DEFAULTS.secretPrefix, ORG))).toBe(true);
    // and removed again, though its old secret was already pending deletion
    await removeOrg(deps(), ORG);
    expect(await deps().registry.getOrg(ORG)).toBeNull();
  });

  it('an unknown org is not found', async () => {
    expect(await errorOf(removeOrg(deps(), ORG))).toMatchObject({ code: 'not_found' });
  });
});

describe('secrets', () => {
  it("a group's Glance credentials are stored only once Glance accepted them, never shown in errors", async () => {
    const name = secretNames.groupGlance(DEFAULTS.secretPrefix, 111);
    const file = JSON.stringify({ username: 'crr-user', password: 'crr-password-value', apiKey: 'group-api-key-value' });
    let answer: Error | null = null;
    const checked: string[] = [];
    const store = (text: string, groupId = 111) =>
      storeGlanceCredentials(
        {
          groupKnown: async (id) => (await deps().registry.getGroup(id)) !== null,
          secretName: (id) => secretNames.groupGlance(DEFAULTS.secretPrefix, id),
          writeSecret: (secret, value) => deps().secrets.write(secret, value),
          check: async (id, credentials) => {
            checked.push(`${id}:${credentials.username}`);
            if (answer) throw answer;
          },
        },
        groupId,
        'Glance credentials file creds.json',
        text,
      );

    expect(await errorOf(store(file))).toMatchObject({ code: 'not_found', message: expect.stringContaining('groups add 111') });
    await registerGroup(deps(), 111);
    answer = new GlanceActivityError('Glance refused the API key of group 111 (403: invalid partnerId or apiKey): ...', 'api_key_refused', 403);
    expect(await errorOf(store(file))).toMatchObject({ code: 'invalid', message: expect.stringMatching(/^not stored: Glance refused the API key of group 111/) });
    answer = new GlanceActivityError('Glance CRR request for group 111 failed after 2 attempts: TypeError: fetch failed', 'network');
    // Glance unreachable is not the admin's mistake: a plain error (exit 1), not an AdminError.
    const unreachable = await store(file).catch((error: unknown) => error);
    expect(unreachable).not.toBeInstanceOf(AdminError);
    expect((unreachable as Error).message).toMatch(/^not stored: the credentials could not be checked against Glance/);
    expect(await secretExists(name)).toBe(false);

    answer = null;
    expect(await store(file)).toEqual({ secretName: name, site: 'production' });
    expect(JSON.parse((await cachedSecretReader().read(name))!)).toEqual({ ...JSON.parse(file), site: 'production' });
    expect(checked).toEqual(['111:crr-user', '111:crr-user', '111:crr-user']);

    const malformed = await errorOf(store(JSON.stringify({ username: 'crr-user', password: 'crr-password-value', apiKey: 'has space in it' })));
    expect(malformed.message).toMatch(/^Glance credentials file creds\.json has a missing or invalid apiKey/);
    expect(malformed.message).not.toMatch(/crr-password-value|has space/);
  });

  it('Salesforce credentials are replaced; bad ones are refused naming fields, never values', async () => {
    await addTestOrg();
    await setSalesforceCredentials(deps(), ORG, { ...CREDENTIALS, refreshToken: 'rotated-token' });
    const stored = await cachedSecretReader().read(secretNames.orgSalesforce(DEFAULTS.secretPrefix, ORG));
    expect(JSON.parse(stored!)).toMatchObject({ refreshToken: 'rotated-token' });
    const bad = { authType: 'refresh_token', loginUrl: 'not a url', clientId: 'c', refreshToken: 'secret-value-xyz' } as SalesforceCredentials;
    const error = await errorOf(setSalesforceCredentials(deps(), ORG, bad));
    expect(error.message).toBe('invalid Salesforce credentials: loginUrl');
  });
});
