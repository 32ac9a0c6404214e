import { describe, expect, it } from 'vitest';
import { defaultSettings, type Org } from '../../shared/org.ts';
import { orgProblems, type OrgFacts } from '../../shared/org-readiness.ts';

const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:glance-sync-sync';
const ORG_ID = '00D5g000000AbCdEAK';

const NOW = new Date('2026-11-23T12:00:00Z');

function facts(overrides: { org?: Partial<Org>; schedule?: OrgFacts['schedule']; secrets?: Partial<OrgFacts['secrets']>; groups?: OrgFacts['groups'] } = {}): OrgFacts {
  const org: Org = {
    orgId: ORG_ID,
    name: 'Acme',
    environment: 'production',
    loginUrl: 'https://login.salesforce.com',
    installedAt: '2026-11-22T13:14:00Z',
    groups: [12345],
    settings: { ...defaultSettings(), sso: { ...defaultSettings().sso, nonAdminPartnerUserId: 'sync-bot' } },
    createdAt: '2026-11-22T13:14:00Z',
    updatedAt: '2026-11-22T13:14:00Z',
    ...overrides.org,
  };
  return {
    org,
    schedule:
      overrides.schedule === undefined
        ? { expression: 'cron(14 * * * ? *)', state: 'ENABLED', targetArn: QUEUE, input: { orgId: ORG_ID, trigger: 'schedule' } }
        : overrides.schedule,
    syncQueueArn: QUEUE,
    secrets: { salesforce: true, ...overrides.secrets },
    groups: overrides.groups ?? { '12345': { glanceCredentials: true, lastWebhookAt: null } },
    now: NOW,
  };
}

describe('orgProblems: what keeps an org from syncing, with the fix', () => {
  it('none for a complete org', () => {
    expect(orgProblems(facts())).toEqual([]);
  });

  it('missing secrets and pairing', () => {
    expect(orgProblems(facts({ org: { groups: [], settings: defaultSettings() }, secrets: { salesforce: false }, groups: {} }))).toEqual([
      expect.stringMatching(/^no Salesforce credentials stored.*orgs credentials 00D5g000000AbCdEAK --credentials-file FILE/),
      expect.stringMatching(/^not paired with any Glance group.*orgs pair 00D5g000000AbCdEAK GROUP/),
    ]);
  });

  it("a paired group without Glance credentials, unless the org never syncs", () => {
    const groups = { '12345': { glanceCredentials: false, lastWebhookAt: null } };
    expect(orgProblems(facts({ groups }))).toEqual([
      'group 12345 has no Glance CRR credentials stored: syncs cannot pull its sessions (glance-sync groups credentials 12345 --file FILE)',
    ]);
    const never = { ...defaultSettings(), syncFrequency: 'never' as const };
    expect(orgProblems(facts({ org: { settings: never }, schedule: null, groups }))).toEqual([]);
  });

  it('Chatter on start without recent webhooks: CRR lists ended sessions only', () => {
    const chatter = { ...defaultSettings(), chatterOnSessionStart: true };
    const at = (lastWebhookAt: string | null) => orgProblems(facts({ org: { settings: chatter }, groups: { '12345': { glanceCredentials: true, lastWebhookAt } } }));
    expect(at(null)).toEqual([expect.stringMatching(/^chatterOnSessionStart is on, but group 12345 has sent no webhook in the last 24 hours/)]);
    expect(at('2026-11-22T11:59:00Z')).toHaveLength(1);
    expect(at('2026-11-23T11:00:00Z')).toEqual([]);
  });

  it.each([
    ['no rule', null, /found no schedule/],
    ['another expression', { expression: 'cron(0 * * * ? *)', state: 'ENABLED', targetArn: QUEUE, input: { orgId: ORG_ID, trigger: 'schedule' } }, /expected cron\(14 \* \* \* \? \*\) on the sync queue, found cron\(0 \* \* \* \? \*\), ENABLED/],
    ['disabled', { expression: 'cron(14 * * * ? *)', state: 'DISABLED', targetArn: QUEUE, input: { orgId: ORG_ID, trigger: 'schedule' } }, /DISABLED/],
    ['another queue', { expression: 'cron(14 * * * ? *)', state: 'ENABLED', targetArn: `${QUEUE}-old`, input: { orgId: ORG_ID, trigger: 'schedule' } }, /does not match/],
    ['another org in the input', { expression: 'cron(14 * * * ? *)', state: 'ENABLED', targetArn: QUEUE, input: { orgId: '00D000000000001', trigger: 'schedule' } }, /does not match/],
  ])('a rule that drifted (%s) is reported with the repair command', (_name, schedule, message) => {
    const [problem] = orgProblems(facts({ schedule }));
    expect(problem).toMatch(message);
    expect(problem).toMatch(/glance-sync orgs set 00D5g000000AbCdEAK syncFrequency=hourly repairs it$/);
  });

  it('a rule left behind for an org that never syncs', () => {
    const never = { ...defaultSettings(), syncFrequency: 'never' as const };
    expect(orgProblems(facts({ org: { settings: never } }))).toEqual([expect.stringMatching(/a schedule exists although syncFrequency is never/)]);
  });
});
