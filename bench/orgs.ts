import { orgSchema, orgSettingsSchema, type Org, type OrgSettings } from '../shared/org.ts';

/** Two Glance groups: a production org and its sandbox share A (each receives A's full list), a third org has B. */
export const GROUP_A = 31001;
export const GROUP_B = 31002;

export const WEBHOOK_SECRETS: Record<number, string> = {
  [GROUP_A]: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  [GROUP_B]: 'whsec_QmVuY2hCZW5jaEdyb3VwQlNlY3JldEtleQ==',
};

export interface BenchOrg {
  label: string;
  group: number;
  org: Org;
}

function org(label: string, orgId: string, environment: Org['environment'], group: number, settings: Partial<OrgSettings>): BenchOrg {
  const at = '2026-11-01T13:14:00Z';
  return {
    label,
    group,
    org: orgSchema.parse({
      orgId,
      name: `Bench ${label}`,
      environment,
      loginUrl: 'http://127.0.0.1/',
      installedAt: at,
      groups: [group],
      // Sync Frequency never: the benchmark enqueues the scheduled sync's events itself.
      settings: orgSettingsSchema.parse({ syncFrequency: 'never', chatterOnSessionStart: true, ...settings }),
      createdAt: at,
      updatedAt: at,
    }),
  };
}

/**
 * The sandbox records only what was launched from it (the usual sandbox setup); production and
 * the group B org log sessions started outside Salesforce too. Group B's org needs a guest name
 * for a Lead, so both Lead rules are exercised.
 */
export const BENCH_ORGS: BenchOrg[] = [
  org('production', '00D5g000000AbCdEAK', 'production', GROUP_A, { logSessionsStartedOutside: true, createLeadsForGuests: 'new_email' }),
  org('sandbox', '00D5g000000SbXyEAK', 'sandbox', GROUP_A, { logSessionsStartedOutside: false, createLeadsForGuests: 'new_email' }),
  org('group-b', '00D5g000000ZzZzEAK', 'production', GROUP_B, { logSessionsStartedOutside: true, createLeadsForGuests: 'new_email_and_name' }),
];

export const orgsOfGroup = (groupId: number): Org[] => BENCH_ORGS.filter((o) => o.group === groupId).map((o) => o.org);

/** The simulator's OAuth identity for an org: the refresh-token flow the pipeline's credentials use. */
export function simCredentials(orgId: string, loginUrl: string) {
  return { authType: 'refresh_token' as const, loginUrl, clientId: `client-${orgId}`, refreshToken: `refresh-${orgId}` };
}

export function simOrgConfig(orgId: string) {
  return { orgId, username: `admin@${orgId.toLowerCase()}.example`, clientId: `client-${orgId}`, refreshToken: `refresh-${orgId}` };
}
