import { describe, expect, it } from 'vitest';
import { defaultSettings, type Org } from '../../shared/org.ts';
import { orgProblems, type OrgFacts } from '../../shared/org-readiness.ts';

const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:glance-sync-sync';
const ORG_ID = '00D5g000000AbCdEAK';

function facts(overrides: { org?: Partial<Org>; schedule?: OrgFacts['schedule']; secrets?: Partial<OrgFacts['secrets']> } = {}): OrgFacts {
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
    secrets: { salesforce: true, glanceApiKey: true, ...overrides.secrets },
  };
}

describe('orgProblems: what keeps an org from syncing, with the fix', () => {
  it('none for a complete org', () => {
    expect(orgProblems(facts())).toEqual([]);
  });

  it('missing secrets, pairing and sync user', () => {
    const problems = orgProblems(
      facts({ org: { groups: [], settings: defaultSettings() }, secrets: { salesforce: false, glanceApiKey: false } }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^no Salesforce credentials stored.*orgs credentials 00D5g000000AbCdEAK --credentials-file FILE/),
      expect.stringMatching(/^not paired with any Glance group.*orgs pair 00D5g000000AbCdEAK GROUP/),
      expect.stringMatching(/^no Glance API key stored.*--glance-api-key-file FILE/),
      expect.stringMatching(/^sso\.nonAdminPartnerUserId is not set/),
    ]);
  });

  it('a Glance key and sync user are not needed when the org never syncs', () => {
    const never = { ...defaultSettings(), syncFrequency: 'never' as const };
    expect(orgProblems(facts({ org: { settings: never }, schedule: null, secrets: { glanceApiKey: false } }))).toEqual([]);
  });

  it.each([
    ['no rule', null, /found no rule/],
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
    expect(orgProblems(facts({ org: { settings: never } }))).toEqual([expect.stringMatching(/a schedule rule exists although syncFrequency is never/)]);
  });
});
