import { DeleteRuleCommand, DescribeRuleCommand, ListTargetsByRuleCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { eventBridge } from './aws-clients.ts';
import { secretExists, secretsManagerWriter } from './secrets.ts';

/**
 * What earlier versions left per org that this one no longer uses (README, "Upgrade"):
 *  - an EventBridge *rule* `glance-sync-org-{orgId}` on the default bus, targeting the sync queue
 *    (schedules are EventBridge Scheduler schedules in the stack's group now; the old rule would
 *    go on firing a second sync per period);
 *  - a secret `{prefix}org/{orgId}/glance` (Glance credentials are per group now,
 *    `{prefix}group/{groupId}/glance`).
 * Found by name for the registered orgs: an org removed with an earlier version had both removed
 * with it. DescribeRule and DescribeSecret only, so the admin policy needs no list-everything grant.
 */
export interface UpgradeLeftover {
  kind: 'eventbridge-rule' | 'secret';
  name: string;
  orgId: string;
}

export interface LeftoverOptions {
  secretPrefix: string;
  /** Earlier versions' rule name prefix and bus (their defaults). */
  rulePrefix?: string;
  eventBusName?: string;
}

export const OLD_RULE_PREFIX = 'glance-sync-org-';
export const oldGlanceSecretName = (prefix: string, orgId: string) => `${prefix}org/${orgId}/glance`;

const isNotFound = (error: unknown) => (error as { name?: string }).name === 'ResourceNotFoundException';

async function ruleExists(name: string, bus: string): Promise<boolean> {
  try {
    await eventBridge().send(new DescribeRuleCommand({ Name: name, EventBusName: bus }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** The leftovers of the given orgs that exist now. */
export async function findUpgradeLeftovers(orgIds: string[], options: LeftoverOptions): Promise<UpgradeLeftover[]> {
  const bus = options.eventBusName ?? 'default';
  const found: UpgradeLeftover[] = [];
  for (const orgId of orgIds) {
    const rule = `${options.rulePrefix ?? OLD_RULE_PREFIX}${orgId}`;
    if (await ruleExists(rule, bus)) found.push({ kind: 'eventbridge-rule', name: rule, orgId });
    const secret = oldGlanceSecretName(options.secretPrefix, orgId);
    if (await secretExists(secret)) found.push({ kind: 'secret', name: secret, orgId });
  }
  return found;
}

/**
 * Removes them: a rule's targets, then the rule; a secret scheduled for deletion with the same
 * 7-day recovery window as every secret the CLI removes. Already gone is not an error.
 */
export async function removeUpgradeLeftovers(leftovers: UpgradeLeftover[], options: LeftoverOptions): Promise<void> {
  const bus = options.eventBusName ?? 'default';
  const secrets = secretsManagerWriter();
  for (const item of leftovers) {
    if (item.kind === 'secret') {
      await secrets.remove(item.name);
      continue;
    }
    try {
      const targets = await eventBridge().send(new ListTargetsByRuleCommand({ Rule: item.name, EventBusName: bus }));
      const ids = (targets.Targets ?? []).map((t) => t.Id!).filter(Boolean);
      if (ids.length) await eventBridge().send(new RemoveTargetsCommand({ Rule: item.name, EventBusName: bus, Ids: ids }));
      await eventBridge().send(new DeleteRuleCommand({ Name: item.name, EventBusName: bus }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
