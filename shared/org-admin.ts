import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AdminError } from './admin-error.ts';
import type { OrgRegistry, OrgSchedules, SecretWriter } from './org-admin-ports.ts';
import { secretNames } from './secret-names.ts';
import { salesforceCredentialsSchema, type SalesforceCredentials } from './salesforce-credentials.ts';
import { applySettingsPatch, settingChanges, type SettingChange, type SettingsPatch } from './org-settings.ts';
import { describeIssues } from './session.ts';
import type { RecordMapping } from './org.ts';
import { defaultSettings, orgSchema, salesforceOrgIdSchema, type Org } from './org.ts';
import { formatPackageProblems, type PackageProblem } from './org-package-check.ts';
import { sameSalesforceId } from './salesforce-id.ts';
import { orgResumed, type PipelineEvent } from './pipeline-events.ts';
import type { OrgPause } from './processing/session-processing.ts';

export { AdminError } from './admin-error.ts';

export interface OrgAdminDeps {
  registry: OrgRegistry;
  secrets: SecretWriter;
  secretPrefix: string;
  /** Keeps each org's EventBridge Scheduler schedule in line with its Sync Frequency. */
  schedules: OrgSchedules;
  now(): Date;
  /**
   * Why the org cannot use this record mapping, from its describe (signed in with the org's stored
   * credentials, somewhere allowed to read them); empty when it can. Absent: mappings are saved
   * after the syntax check only.
   */
  checkRecordMapping?(orgId: string, mapping: RecordMapping): Promise<string[]>;
  /**
   * Logs in to Salesforce with the credentials and compares the org with the package (the CLI
   * wires it to the real login and describe). Without it, credentials are stored untested.
   */
  checkSalesforce?: SalesforceCheck;
  /** The org's circuit breaker: new credentials end a pause for refused ones at once. Absent: the pause waits for its probe. */
  pauses?: CredentialsPauses;
  /** Publishes the pipeline's events (Org Resumed), as the processor does when a probe succeeds. */
  announce?(event: PipelineEvent): Promise<void>;
}

/** The part of the circuit breaker (HEALTH#{orgId}/PAUSE) admin commands touch. */
export interface CredentialsPauses {
  /** Ends the org's pause if it was paused for refused credentials; returns that pause, else null. */
  endCredentialsPause(orgId: string): Promise<OrgPause | null>;
  /** Ends the org's pause if it was a setup pause (package or recordMapping); returns that pause, else null. */
  endSetupPause(orgId: string): Promise<OrgPause | null>;
}

/** What `checkSalesforce` answers; a refused login throws with `errorCode` INVALID_GRANT. */
export type SalesforceCheck = (credentials: SalesforceCredentials) => Promise<{ orgId: string; problems: PackageProblem[] }>;

export interface CheckOptions {
  /** Store the credentials without testing the login or checking the org (an admin insisted). */
  skipCheck?: boolean;
}

/**
 * Logs in with the credentials and compares the org with the package. A refused login or
 * credentials of another org are AdminErrors (exit 3); an unreachable Salesforce a plain Error
 * (exit 1). Returns every problem, each with its fix (empty: the org is ready).
 */
export async function checkOrgAgainstPackage(check: SalesforceCheck, orgId: string, credentials: SalesforceCredentials, note = ''): Promise<PackageProblem[]> {
  let result;
  try {
    result = await check(credentials);
  } catch (error) {
    const code = (error as { errorCode?: string }).errorCode;
    const message = (error as Error).message;
    if (code === 'INVALID_GRANT') throw new AdminError(`Salesforce refused the login: ${message}${note}`);
    throw new Error(`could not test the Salesforce login: ${message}${note}`, { cause: error });
  }
  if (!sameSalesforceId(result.orgId, orgId)) throw new AdminError(`these credentials log in to org ${result.orgId}, not ${orgId}${note}`);
  return result.problems;
}

/**
 * Tests the login and checks the org before anything is stored (see checkOrgAgainstPackage); an
 * org lacking what the package needs is an AdminError listing every problem with its fix.
 */
export async function verifySalesforce(deps: Pick<OrgAdminDeps, 'checkSalesforce'>, orgId: string, credentials: SalesforceCredentials, options: CheckOptions = {}): Promise<void> {
  if (options.skipCheck || !deps.checkSalesforce) return;
  const note = ' (nothing was stored; --skip-check stores the credentials untested)';
  const problems = await checkOrgAgainstPackage(deps.checkSalesforce, orgId, credentials, note);
  if (problems.length) {
    throw new AdminError(`org ${orgId} lacks what glance-sync writes (${problems.length} problem${problems.length === 1 ? '' : 's'})${note}:\n${formatPackageProblems(problems)}`);
  }
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/**
 * One or two `whsec_<base64>` secrets separated by white space (two while a sender switches
 * from one to the other), normalised to single spaces as the verifier reads them.
 */
function checkWebhookSecrets(value: string, max: number): string {
  const secrets = value.split(/\s+/).filter(Boolean);
  if (secrets.length === 0 || secrets.length > max) {
    throw new AdminError(`webhook secret must be ${max === 1 ? 'one' : `one to ${max}`} whsec_<base64> value${max === 1 ? '' : 's'} separated by spaces; got ${secrets.length}`);
  }
  secrets.forEach((secret, i) => {
    if (!WEBHOOK_SECRET.test(secret)) throw new AdminError(`webhook secret ${secrets.length > 1 ? `${i + 1} ` : ''}must look like whsec_<base64>`);
  });
  return secrets.join(' ');
}

type GroupSecretDeps = Pick<OrgAdminDeps, 'registry' | 'secrets' | 'secretPrefix'>;

/**
 * Accepts webhooks for a Glance group; returns the signing secret to give Glance (shown once).
 * The value may hold two secrets (both verify). Registering again replaces the secret at once:
 * the replaced one stops verifying too (see rotateGroupSecret for a switch without downtime).
 */
export async function registerGroup(deps: GroupSecretDeps, groupId: number, webhookSecret = newWebhookSecret()): Promise<{ groupId: number; webhookSecret: string }> {
  if (!Number.isInteger(groupId) || groupId <= 0) throw new AdminError(`group id must be a positive whole number, not ${groupId}`);
  const value = checkWebhookSecrets(webhookSecret, 2);
  const name = secretNames.groupWebhook(deps.secretPrefix, groupId);
  await deps.secrets.write(name, value);
  await deps.secrets.retirePrevious(name);
  await deps.registry.putGroup(groupId);
  return { groupId, webhookSecret: value };
}

async function requireGroup(deps: GroupSecretDeps, groupId: number): Promise<string> {
  if (!(await deps.registry.getGroup(groupId))) {
    throw new AdminError(`group ${groupId} is not registered: register it first (glance-sync groups add ${groupId})`, 'not_found');
  }
  return secretNames.groupWebhook(deps.secretPrefix, groupId);
}

/**
 * Zero-downtime rotation, step one: the new secret becomes current and the old one keeps
 * verifying (it stays labelled AWSPREVIOUS) until retireGroupSecret. Refused while an older
 * secret is still in rotation: a second rotation would silently drop the secret a sender may
 * still sign with.
 */
export async function rotateGroupSecret(deps: GroupSecretDeps, groupId: number, webhookSecret = newWebhookSecret()): Promise<{ groupId: number; webhookSecret: string }> {
  const value = checkWebhookSecrets(webhookSecret, 1);
  const name = await requireGroup(deps, groupId);
  if (await deps.secrets.hasPrevious(name)) {
    throw new AdminError(
      `group ${groupId} is already rotating its webhook secret: once Glance signs with the newest one, retire the old one first (glance-sync groups retire-secret ${groupId})`,
      'conflict',
    );
  }
  await deps.secrets.write(name, value);
  return { groupId, webhookSecret: value };
}

/** Rotation, step two: the old secret stops verifying (in warm functions within their 5-minute secret cache). */
export async function retireGroupSecret(deps: GroupSecretDeps, groupId: number): Promise<void> {
  const name = await requireGroup(deps, groupId);
  if (!(await deps.secrets.retirePrevious(name))) {
    throw new AdminError(`group ${groupId} has no old webhook secret to retire (rotate first: glance-sync groups rotate-secret ${groupId})`, 'not_found');
  }
}

/**
 * Stops accepting webhooks for a group: forgets it and schedules its signing secret for deletion
 * (recoverable for 7 days). Refused while orgs are paired with it, since they would silently stop
 * receiving its sessions.
 */
export async function removeGroup(deps: Pick<OrgAdminDeps, 'registry' | 'secrets' | 'secretPrefix'>, groupId: number): Promise<void> {
  if (!(await deps.registry.getGroup(groupId))) throw new AdminError(`group ${groupId} is not registered`, 'not_found');
  const paired = await deps.registry.orgsForGroup(groupId);
  if (paired.length) {
    throw new AdminError(
      `group ${groupId} is paired with ${paired.map((o) => o.orgId).join(', ')}: unpair first (glance-sync orgs unpair ${paired[0]!.orgId} ${groupId})`,
      'conflict',
    );
  }
  await deps.registry.deleteGroup(groupId);
  await deps.secrets.remove(secretNames.groupWebhook(deps.secretPrefix, groupId));
  await deps.secrets.remove(secretNames.groupGlance(deps.secretPrefix, groupId));
}

export const newOrgInputSchema = z.strictObject({
  orgId: salesforceOrgIdSchema,
  name: z.string().min(1).max(255),
  environment: z.enum(['production', 'sandbox']),
  loginUrl: z.url({ protocol: /^https?$/ }).optional(),
  installedAt: z.iso.datetime({ offset: true }).optional(),
  settings: z.unknown().optional(),
});
export type NewOrgInput = Omit<z.input<typeof newOrgInputSchema>, 'settings'> & { settings?: SettingsPatch };

const defaultLoginUrl = (environment: 'production' | 'sandbox') =>
  environment === 'sandbox' ? 'https://test.salesforce.com' : 'https://login.salesforce.com';

function checkCredentials(credentials: unknown): SalesforceCredentials {
  const creds = salesforceCredentialsSchema.safeParse(credentials);
  if (!creds.success) {
    // Names the fields only: the values are secrets.
    throw new AdminError(`invalid Salesforce credentials: ${creds.error.issues.map((i) => i.path.join('.') || '(credentials)').join(', ')}`);
  }
  return creds.data;
}


/** The registered org, or an AdminError (kind not_found) naming it. */
export async function requireOrg(deps: Pick<OrgAdminDeps, 'registry'>, orgId: string): Promise<Org> {
  const org = await deps.registry.getOrg(orgId);
  if (!org) throw new AdminError(`org ${orgId} is not registered`, 'not_found');
  return org;
}

/** Strictly later than the previous write, so optimistic locking on updatedAt cannot be fooled by a fast clock tick. */
function nextUpdatedAt(previous: Org, now: Date): string {
  return new Date(Math.max(now.getTime(), Date.parse(previous.updatedAt) + 1)).toISOString();
}

const isWriteConflict = (error: unknown) => {
  const name = (error as { name?: string }).name;
  return name === 'TransactionCanceledException' || name === 'ConditionalCheckFailedException';
};

/**
 * Reads the org, lets `change` validate and derive the new org, saves it under optimistic
 * locking; a concurrent change makes it read and validate again, so rules such as the SSO
 * pairing rule are checked against what is actually stored.
 */
async function changeOrg(deps: OrgAdminDeps, orgId: string, change: (org: Org) => Org | null): Promise<{ before: Org; after: Org }> {
  for (let attempt = 1; ; attempt++) {
    const before = await requireOrg(deps, orgId);
    const changed = change(before);
    if (!changed) return { before, after: before };
    const after = orgSchema.parse({ ...changed, updatedAt: nextUpdatedAt(before, deps.now()) });
    try {
      await deps.registry.saveOrg(after, before);
      return { before, after };
    } catch (error) {
      if (!isWriteConflict(error)) throw error;
      if (attempt >= 3) throw new AdminError(`org ${orgId} kept changing while saving; try again`, 'conflict');
    }
  }
}

/**
 * Registers an org with its Salesforce credentials: they go to the secret store, the rest to the
 * table, and its schedule to EventBridge. (Glance credentials belong to the group: see
 * sync/glance-credentials.ts.) All or nothing: if
 * the schedule cannot be made, the org is removed again so the command can simply be re-run.
 */
export async function addOrg(
  deps: OrgAdminDeps,
  input: NewOrgInput,
  credentials: SalesforceCredentials,
  options: CheckOptions = {},
): Promise<Org> {
  const parsed = newOrgInputSchema.safeParse(input);
  if (!parsed.success) throw new AdminError(`invalid org: ${describeIssues(parsed.error)}`);
  const settings = applySettingsPatch(defaultSettings(), parsed.data.settings ?? {});
  const creds = checkCredentials(credentials);
  const existing = await deps.registry.getOrg(parsed.data.orgId);
  if (existing) {
    const given = input.orgId === existing.orgId ? '' : ` (${input.orgId} is the same org)`;
    throw new AdminError(`org ${parsed.data.orgId} is already registered${given}`, 'conflict');
  }
  await verifySalesforce(deps, parsed.data.orgId, creds, options);
  const now = deps.now().toISOString();
  const org = orgSchema.parse({
    orgId: parsed.data.orgId,
    name: parsed.data.name,
    environment: parsed.data.environment,
    loginUrl: parsed.data.loginUrl ?? creds.loginUrl ?? defaultLoginUrl(parsed.data.environment),
    installedAt: parsed.data.installedAt ?? now,
    groups: [],
    settings,
    createdAt: now,
    updatedAt: now,
  });
  await deps.secrets.write(secretNames.orgSalesforce(deps.secretPrefix, org.orgId), JSON.stringify(creds));
  try {
    await checkRecordMapping(deps, org.orgId, org.settings.recordMapping);
  } catch (error) {
    await deps.secrets.remove(secretNames.orgSalesforce(deps.secretPrefix, org.orgId)).catch(() => undefined);
    throw error;
  }
  await deps.registry.saveOrg(org, null);
  try {
    await deps.schedules.apply(org);
  } catch (error) {
    await removeEverything(deps, org).catch(() => undefined);
    throw error;
  }
  return org;
}

function ssoPairingError(org: Org, groups: number[]): AdminError {
  return new AdminError(
    `org ${org.orgId} uses SSO (${org.settings.sso.mode}) and an SSO-enabled org may be paired with one Glance group only; ` +
      `it would be paired with groups ${groups.join(', ')}`,
  );
}

/** Pairs an org with a group; an SSO-enabled org may be paired with one group at most. */
export async function pairOrg(deps: OrgAdminDeps, orgId: string, groupId: number): Promise<Org> {
  if (!Number.isInteger(groupId) || groupId <= 0) throw new AdminError(`group id must be a positive whole number, not ${groupId}`);
  await requireOrg(deps, orgId);
  if (!(await deps.registry.getGroup(groupId))) {
    throw new AdminError(`group ${groupId} is not registered: register it first (glance-sync groups add ${groupId})`, 'not_found');
  }
  const { after } = await changeOrg(deps, orgId, (org) => {
    if (org.groups.includes(groupId)) return null;
    const groups = [...org.groups, groupId].sort((a, b) => a - b);
    if (org.settings.sso.mode !== 'none' && groups.length > 1) throw ssoPairingError(org, groups);
    return { ...org, groups };
  });
  return after;
}

/** Stops delivering a group's sessions to the org; unpairing a group that is not paired changes nothing. */
export async function unpairOrg(deps: OrgAdminDeps, orgId: string, groupId: number): Promise<Org> {
  const { after } = await changeOrg(deps, orgId, (org) =>
    org.groups.includes(groupId) ? { ...org, groups: org.groups.filter((g) => g !== groupId) } : null,
  );
  return after;
}

export interface SettingsUpdate {
  org: Org;
  changes: SettingChange[];
  /** The setup pause a checked recordMapping ended (the org resumes at its next delivery), else null. */
  resumed: OrgPause | null;
}

/**
 * Changes some settings (the others are kept). A patch naming syncFrequency also brings the
 * org's rule in line, even when the value is unchanged, so re-running it repairs a rule that a
 * failed earlier call left behind.
 */
export async function updateSettings(deps: OrgAdminDeps, orgId: string, patch: SettingsPatch): Promise<SettingsUpdate> {
  const mappingChecked = patch !== null && typeof patch === 'object' && 'recordMapping' in patch && deps.checkRecordMapping !== undefined;
  if (patch && typeof patch === 'object' && 'recordMapping' in patch) {
    const current = await requireOrg(deps, orgId);
    await checkRecordMapping(deps, orgId, applySettingsPatch(current.settings, patch).recordMapping);
  }
  const { before, after } = await changeOrg(deps, orgId, (org) => {
    const settings = applySettingsPatch(org.settings, patch);
    if (org.settings.sso.mode === 'none' && settings.sso.mode !== 'none' && org.groups.length > 1) {
      throw ssoPairingError({ ...org, settings }, org.groups);
    }
    return settingChanges(org.settings, settings).length ? { ...org, settings } : null;
  });
  if (patch && typeof patch === 'object' && 'syncFrequency' in patch) {
    try {
      await deps.schedules.apply(after);
    } catch (error) {
      throw new Error(
        `settings of org ${orgId} were saved, but its schedule could not be updated (${(error as Error).message}); ` +
          `set syncFrequency again to retry`,
        { cause: error },
      );
    }
  }
  // A mapping the org's describe refused pauses the org (kind setup); a checked one is the fix.
  const resumed = mappingChecked ? await endSetupPause(deps, orgId) : null;
  return { org: after, changes: settingChanges(before.settings, after.settings), resumed };
}

/**
 * Ends the org's setup pause, if it has one, and announces Org Resumed as a successful probe
 * does: called when an admin has just shown the setup to be right (a checked recordMapping
 * saved, `orgs check` finding the org ready). Returns the pause ended, else null.
 */
export async function endSetupPause(deps: Pick<OrgAdminDeps, 'pauses' | 'announce' | 'now'>, orgId: string): Promise<OrgPause | null> {
  const resumed = (await deps.pauses?.endSetupPause(orgId)) ?? null;
  if (resumed) await deps.announce?.(orgResumed(orgId, resumed.until, resumed.reason, deps.now()));
  return resumed;
}

/**
 * Refuses a mapping the org's describe says cannot work (an object Glance_Session__c has no lookup
 * on, a missing or unfilterable field): saved, it would relate nothing or dead-letter every match.
 */
async function checkRecordMapping(deps: Pick<OrgAdminDeps, 'checkRecordMapping'>, orgId: string, mapping: RecordMapping): Promise<void> {
  if (!deps.checkRecordMapping || Object.keys(mapping).length === 0) return;
  let problems: string[];
  try {
    problems = await deps.checkRecordMapping(orgId, mapping);
  } catch (error) {
    throw new Error(`could not check recordMapping against org ${orgId}'s describe (${(error as Error).message}); fix the org's login, or save it unchecked`, { cause: error });
  }
  if (problems.length) throw new AdminError(problems.join('; '));
}

/**
 * Replaces the org's Salesforce credentials, e.g. after rotating a connected app's certificate or
 * replacing a revoked refresh token. An org paused for refused credentials resumes at once (Org
 * Resumed is announced, as after a successful probe); `resumed` is the pause that ended.
 */
export async function setSalesforceCredentials(
  deps: OrgAdminDeps,
  orgId: string,
  credentials: SalesforceCredentials,
  options: CheckOptions = {},
): Promise<{ resumed: OrgPause | null }> {
  const creds = checkCredentials(credentials);
  await requireOrg(deps, orgId);
  await verifySalesforce(deps, orgId, creds, options);
  await deps.secrets.write(secretNames.orgSalesforce(deps.secretPrefix, orgId), JSON.stringify(creds));
  // Refused credentials were the pause's whole cause: its waiting shares go at their next delivery,
  // not at the next probe (up to 30 minutes away). The processor reads a refused org's secret afresh.
  const resumed = (await deps.pauses?.endCredentialsPause(orgId)) ?? null;
  if (resumed) await deps.announce?.(orgResumed(orgId, resumed.until, resumed.reason, deps.now()));
  return { resumed };
}

async function removeEverything(deps: OrgAdminDeps, org: Org): Promise<void> {
  // The rule first, so no scheduled sync fires for an org that is half gone.
  await deps.schedules.remove(org.orgId);
  await deps.registry.deleteOrg(org);
  await deps.secrets.remove(secretNames.orgSalesforce(deps.secretPrefix, org.orgId));
}

/** Removes the org, its pairings, its sync schedule and its secrets. Its sync history stays, for the record. */
export async function removeOrg(deps: OrgAdminDeps, orgId: string): Promise<Org> {
  const org = await requireOrg(deps, orgId);
  await removeEverything(deps, org);
  return org;
}
