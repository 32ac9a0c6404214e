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
  secrets: { salesforce: boolean };
  /** Per paired group (keyed by group id): its Glance CRR credentials are stored; its last accepted webhook, or null. */
  groups: Record<string, { glanceCredentials: boolean; lastWebhookAt: string | null }>;
  now: Date;
}

/** A group whose last accepted webhook is older than this has not "sent webhooks recently". */
export const RECENT_WEBHOOK_MS = 24 * 60 * 60_000;

export function webhooksRecent(lastWebhookAt: string | null, now: Date): boolean {
  return lastWebhookAt !== null && now.getTime() - Date.parse(lastWebhookAt) <= RECENT_WEBHOOK_MS;
}

export function orgProblems({ org, schedule, syncQueueArn, secrets, groups, now }: OrgFacts): string[] {
  const problems: string[] = [];
  const id = org.orgId;
  const syncs = org.settings.syncFrequency !== 'never';
  if (!secrets.salesforce) {
    problems.push(`no Salesforce credentials stored: nothing can be written to the org (glance-sync orgs credentials ${id} --credentials-file FILE)`);
  }
  if (org.groups.length === 0) problems.push(`not paired with any Glance group: it receives no sessions (glance-sync orgs pair ${id} GROUP)`);
  for (const groupId of org.groups) {
    const group = groups[String(groupId)];
    if (syncs && group && !group.glanceCredentials) {
      problems.push(`group ${groupId} has no Glance CRR credentials stored: syncs cannot pull its sessions (glance-sync groups credentials ${groupId} --file FILE)`);
    }
    // Glance's CRR lists ended sessions only: a post while the session runs needs a webhook.
    if (org.settings.chatterOnSessionStart && group && !webhooksRecent(group.lastWebhookAt, now)) {
      problems.push(
        `chatterOnSessionStart is on, but group ${groupId} has sent no webhook in the last 24 hours: pulled sessions have ended, so start posts need webhooks from a relay (README: "Real Glance")`,
      );
    }
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
