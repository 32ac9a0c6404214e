import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { eventBridge } from './aws-clients.ts';
import { DEFAULTS, optionalEnv, requireEnv } from '../config.ts';
import { parseCron } from '../cron.ts';
import type { OrgSchedules, ScheduledOrg } from '../org-admin-ports.ts';
import { scheduleExpression, scheduleRuleName } from '../schedule.ts';

/**
 * One EventBridge rule per org, named after it, targeting the sync queue: the org's Sync
 * Frequency as the rule sees it. `never` means no rule at all, so nothing can fire by mistake.
 */
export const SCHEDULE_TARGET_ID = 'sync-queue';

export interface ScheduledSyncInput {
  orgId: string;
  trigger: 'schedule';
}

export interface EventBridgeSchedulesOptions {
  syncQueueArn: string;
  eventBusName?: string;
  rulePrefix?: string;
  now?: () => Date;
}

const isNotFound = (error: unknown) => (error as { name?: string }).name === 'ResourceNotFoundException';

function describeRule(org: ScheduledOrg): string {
  const text = `Glance sync for org ${org.orgId} (${org.name}): ${org.settings.syncFrequency}, anchored at install ${org.installedAt} UTC`;
  return text.length > 512 ? `${text.slice(0, 511)}…` : text;
}

export function eventBridgeSchedules(options: EventBridgeSchedulesOptions): OrgSchedules {
  const bus = options.eventBusName ?? DEFAULTS.eventBusName;
  const prefix = options.rulePrefix ?? DEFAULTS.scheduleRulePrefix;
  const now = options.now ?? (() => new Date());
  const ruleName = (orgId: string) => scheduleRuleName(orgId, prefix);

  const listTargets = async (name: string): Promise<Target[] | null> => {
    try {
      const out = await eventBridge().send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: bus }));
      return out.Targets ?? [];
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  };

  const schedules: OrgSchedules = {
    async apply(org) {
      const expression = scheduleExpression(org.settings.syncFrequency, new Date(org.installedAt));
      if (expression === null) {
        await schedules.remove(org.orgId);
        return null;
      }
      const name = ruleName(org.orgId);
      await eventBridge().send(
        new PutRuleCommand({ Name: name, EventBusName: bus, ScheduleExpression: expression, State: 'ENABLED', Description: describeRule(org) }),
      );
      const input: ScheduledSyncInput = { orgId: org.orgId, trigger: 'schedule' };
      const out = await eventBridge().send(
        new PutTargetsCommand({
          Rule: name,
          EventBusName: bus,
          Targets: [{ Id: SCHEDULE_TARGET_ID, Arn: options.syncQueueArn, Input: JSON.stringify(input) }],
        }),
      );
      if (out.FailedEntryCount) {
        const entry = out.FailedEntries?.[0];
        throw new Error(`EventBridge refused the sync queue target of rule ${name}: ${entry?.ErrorCode ?? ''} ${entry?.ErrorMessage ?? ''}`.trim());
      }
      return schedules.describe(org.orgId);
    },

    async remove(orgId) {
      const name = ruleName(orgId);
      const targets = await listTargets(name);
      if (targets === null) return;
      // EventBridge refuses to delete a rule that still has targets.
      const ids = targets.map((t) => t.Id!).filter(Boolean);
      if (ids.length) await eventBridge().send(new RemoveTargetsCommand({ Rule: name, EventBusName: bus, Ids: ids }));
      await eventBridge()
        .send(new DeleteRuleCommand({ Name: name, EventBusName: bus }))
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
    },

    async describe(orgId) {
      const name = ruleName(orgId);
      let rule;
      try {
        rule = await eventBridge().send(new DescribeRuleCommand({ Name: name, EventBusName: bus }));
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
      const targets = (await listTargets(name)) ?? [];
      const target = targets.find((t) => t.Id === SCHEDULE_TARGET_ID) ?? targets[0];
      let input: unknown = target?.Input ?? null;
      try {
        input = typeof input === 'string' ? JSON.parse(input) : input;
      } catch {
        // Shown as the raw text: someone edited the rule by hand.
      }
      let nextFireAt: string | null = null;
      if (rule.State === 'ENABLED' && rule.ScheduleExpression) {
        try {
          nextFireAt = parseCron(rule.ScheduleExpression).next(now())?.toISOString() ?? null;
        } catch {
          // An expression outside the subset we read (edited by hand): no next time to report.
        }
      }
      return {
        ruleName: name,
        expression: rule.ScheduleExpression ?? null,
        state: rule.State ?? null,
        description: rule.Description ?? null,
        targetArn: target?.Arn ?? null,
        input,
        nextFireAt,
      };
    },
  };
  return schedules;
}

/** The schedules of the stack whose wiring is in the environment (Lambda, local run). */
export function schedulesFromEnv(env: NodeJS.ProcessEnv = process.env): OrgSchedules {
  return eventBridgeSchedules({
    syncQueueArn: requireEnv('syncQueueArn', env),
    eventBusName: optionalEnv('eventBusName', DEFAULTS.eventBusName, env),
    rulePrefix: optionalEnv('scheduleRulePrefix', DEFAULTS.scheduleRulePrefix, env),
  });
}
