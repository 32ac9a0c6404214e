import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { OrgRegistry } from './adapters/org-registry.ts';
import { secretNames, type SecretWriter } from './adapters/secrets.ts';
import { salesforceCredentialsSchema, type SalesforceCredentials } from './adapters/salesforce-auth.ts';
import { describeIssues } from './session.ts';
import { orgSchema, orgSettingsSchema, salesforceOrgIdSchema, type Org } from './org.ts';

export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface OrgAdminDeps {
  registry: OrgRegistry;
  secrets: SecretWriter;
  secretPrefix: string;
  now(): Date;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Accepts webhooks for a Glance group; returns the signing secret to give Glance (shown once). */
export async function registerGroup(deps: OrgAdminDeps, groupId: number, webhookSecret = newWebhookSecret()): Promise<{ groupId: number; webhookSecret: string }> {
  if (!Number.isInteger(groupId) || groupId <= 0) throw new AdminError(`group id must be a positive whole number, not ${groupId}`);
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(webhookSecret)) throw new AdminError('webhook secret must look like whsec_<base64>');
  await deps.secrets.write(secretNames.groupWebhook(deps.secretPrefix, groupId), webhookSecret);
  await deps.registry.putGroup(groupId);
  return { groupId, webhookSecret };
}

export const newOrgInputSchema = z.strictObject({
  orgId: salesforceOrgIdSchema,
  name: z.string().min(1).max(255),
  environment: z.enum(['production', 'sandbox']),
  loginUrl: z.url({ protocol: /^https?$/ }).optional(),
  installedAt: z.iso.datetime({ offset: true }).optional(),
  settings: orgSettingsSchema.partial().optional(),
});
export type NewOrgInput = z.input<typeof newOrgInputSchema>;

const defaultLoginUrl = (environment: 'production' | 'sandbox') =>
  environment === 'sandbox' ? 'https://test.salesforce.com' : 'https://login.salesforce.com';

/** Registers an org with its Salesforce credentials; they go to the secret store, the rest to the table. */
export async function addOrg(deps: OrgAdminDeps, input: NewOrgInput, credentials: SalesforceCredentials): Promise<Org> {
  const parsed = newOrgInputSchema.safeParse(input);
  if (!parsed.success) throw new AdminError(`invalid org: ${describeIssues(parsed.error)}`);
  const creds = salesforceCredentialsSchema.safeParse(credentials);
  if (!creds.success) {
    throw new AdminError(`invalid Salesforce credentials: ${creds.error.issues.map((i) => i.path.join('.') || '(credentials)').join(', ')}`);
  }
  const existing = await deps.registry.getOrg(parsed.data.orgId);
  if (existing) throw new AdminError(`org ${parsed.data.orgId} is already registered`);
  const now = deps.now().toISOString();
  const org = orgSchema.parse({
    orgId: parsed.data.orgId,
    name: parsed.data.name,
    environment: parsed.data.environment,
    loginUrl: parsed.data.loginUrl ?? creds.data.loginUrl ?? defaultLoginUrl(parsed.data.environment),
    installedAt: parsed.data.installedAt ?? now,
    groups: [],
    settings: orgSettingsSchema.parse(parsed.data.settings ?? {}),
    createdAt: now,
    updatedAt: now,
  });
  await deps.secrets.write(secretNames.orgSalesforce(deps.secretPrefix, org.orgId), JSON.stringify(creds.data));
  await deps.registry.saveOrg(org, null);
  return org;
}

/** Pairs an org with a group; an SSO-enabled org may be paired with one group at most. */
export async function pairOrg(deps: OrgAdminDeps, orgId: string, groupId: number): Promise<Org> {
  const org = await deps.registry.getOrg(orgId);
  if (!org) throw new AdminError(`org ${orgId} is not registered`);
  if (!(await deps.registry.getGroup(groupId))) throw new AdminError(`group ${groupId} is not registered: register it first`);
  if (org.groups.includes(groupId)) return org;
  if (org.settings.sso.mode !== 'none' && org.groups.length > 0) {
    throw new AdminError(
      `org ${orgId} uses SSO (${org.settings.sso.mode}) and is already paired with group ${org.groups[0]}: an SSO-enabled org may be paired with one group only`,
    );
  }
  const updated = { ...org, groups: [...org.groups, groupId].sort((a, b) => a - b), updatedAt: deps.now().toISOString() };
  await deps.registry.saveOrg(updated, org);
  return updated;
}
