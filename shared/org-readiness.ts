import type { Org } from './org.ts';
import { scheduleExpression } from './schedule.ts';

/**
 * What stands between a registered org and working syncs, each with the command that fixes it:
 * the things an admin otherwise finds out from a failed run hours later.
 */
export interface OrgFacts {
  org: Org;
  /** The org's schedule as EventBridge Scheduler has it, or null when there is none. */
  schedule: { expression: string | null; timezone?: string | null; state: string | null; targetArn: string | null; input: unknown } | null;
  syncQueueArn: string;
  secrets: { salesforce: boolean; glanceApiKey: boolean };
}

export function orgProblems({ org, schedule, syncQueueArn, secrets }: OrgFacts): string[] {
  const problems: string[] = [];
  const id = org.orgId;
  const syncs = org.settings.syncFrequency !== 'never';
  if (!secrets.salesforce) {
    problems.push(`no Salesforce credentials stored: nothing can be written to the org (glance-sync orgs credentials ${id} --credentials-file FILE)`);
  }
  if (org.groups.length === 0) problems.push(`not paired with any Glance group: it receives no sessions (glance-sync orgs pair ${id} GROUP)`);
  if (syncs && !secrets.glanceApiKey) {
    problems.push(`no Glance API key stored: syncs cannot sign in to Glance (glance-sync orgs credentials ${id} --glance-api-key-file FILE)`);
  }
  if (syncs && !org.settings.sso.nonAdminPartnerUserId) {
    problems.push(`sso.nonAdminPartnerUserId is not set: syncs sign in to Glance as that user (glance-sync orgs set ${id} sso.nonAdminPartnerUserId=PUID)`);
  }
  const expected = scheduleExpression(org.settings.syncFrequency, new Date(org.installedAt));
  const repair = `glance-sync orgs set ${id} syncFrequency=${org.settings.syncFrequency}`;
  if (expected === null && schedule) {
    problems.push(`a schedule exists although syncFrequency is never (${repair} removes it)`);
  } else if (expected !== null) {
    const input = schedule?.input as { orgId?: unknown; trigger?: unknown } | null | undefined;
    const found = schedule ? `${schedule.expression ?? 'no expression'}, ${schedule.state ?? 'no state'}` : 'no schedule';
    const matches =
      schedule?.expression === expected &&
      (schedule.timezone ?? 'UTC') === 'UTC' &&
      schedule.state === 'ENABLED' &&
      schedule.targetArn === syncQueueArn &&
      input?.orgId === id &&
      input?.trigger === 'schedule';
    if (!matches) problems.push(`the schedule does not match syncFrequency ${org.settings.syncFrequency} (expected ${expected} on the sync queue, found ${found}); ${repair} repairs it`);
  }
  return problems;
}
