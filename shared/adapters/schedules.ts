import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { scheduler } from './aws-clients.ts';
import { DEFAULTS, optionalEnv, requireEnv } from '../config.ts';
import { parseCron } from '../cron.ts';
import type { OrgSchedules, ScheduledOrg } from '../org-admin-ports.ts';
import { scheduleExpression, scheduleName } from '../schedule.ts';

/**
 * One EventBridge Scheduler schedule per org, in the stack's schedule group, sending the sync
 * queue `{orgId, trigger: 'schedule'}` through the role the scheduler assumes: the org's Sync
 * Frequency as the scheduler sees it. `never` means no schedule at all, so nothing can fire by
 * mistake. Scheduler, not EventBridge rules: AWS calls scheduled rules legacy, and rules are
 * capped at 300 per event bus against millions of schedules (Scheduler quotas).
 */
export interface ScheduledSyncInput {
  orgId: string;
  trigger: 'schedule';
}

export interface SchedulerSchedulesOptions {
  syncQueueArn: string;
  /** The role EventBridge Scheduler assumes to send to the sync queue. */
  roleArn: string;
  groupName?: string;
  namePrefix?: string;
  now?: () => Date;
}

const isNotFound = (error: unknown) => error instanceof ResourceNotFoundException || (error as { name?: string }).name === 'ResourceNotFoundException';
const isConflict = (error: unknown) => error instanceof ConflictException || (error as { name?: string }).name === 'ConflictException';

/** Scheduler's Description holds at most 512 characters. */
function describeSchedule(org: ScheduledOrg): string {
  const text = `Glance sync for org ${org.orgId} (${org.name}): ${org.settings.syncFrequency}, anchored at install ${org.installedAt} UTC`;
  return text.length > 512 ? `${text.slice(0, 511)}…` : text;
}

export function schedulerSchedules(options: SchedulerSchedulesOptions): OrgSchedules {
  const group = options.groupName ?? DEFAULTS.scheduleGroupName;
  const prefix = options.namePrefix ?? DEFAULTS.scheduleNamePrefix;
  const now = options.now ?? (() => new Date());
  const nameOf = (orgId: string) => scheduleName(orgId, prefix);

  const schedules: OrgSchedules = {
    async apply(org) {
      const expression = scheduleExpression(org.settings.syncFrequency, new Date(org.installedAt));
      if (expression === null) {
        await schedules.remove(org.orgId);
        return null;
      }
      const input: ScheduledSyncInput = { orgId: org.orgId, trigger: 'schedule' };
      const request: CreateScheduleCommandInput = {
        Name: nameOf(org.orgId),
        GroupName: group,
        ScheduleExpression: expression,
        ScheduleExpressionTimezone: 'UTC',
        // On the minute: the BRIEF's fire times are install time + k periods, not a window after it.
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Description: describeSchedule(org),
        Target: { Arn: options.syncQueueArn, RoleArn: options.roleArn, Input: JSON.stringify(input) },
      };
      try {
        await scheduler().send(new CreateScheduleCommand(request));
      } catch (error) {
        if (!isConflict(error)) throw error;
        // UpdateSchedule replaces every field, so the same full request is the whole new schedule.
        await scheduler().send(new UpdateScheduleCommand(request));
      }
      return schedules.describe(org.orgId);
    },

    async remove(orgId) {
      await scheduler()
        .send(new DeleteScheduleCommand({ Name: nameOf(orgId), GroupName: group }))
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
    },

    async describe(orgId) {
      const name = nameOf(orgId);
      let schedule;
      try {
        schedule = await scheduler().send(new GetScheduleCommand({ Name: name, GroupName: group }));
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
      let input: unknown = schedule.Target?.Input ?? null;
      try {
        input = typeof input === 'string' ? JSON.parse(input) : input;
      } catch {
        // Shown as the raw text: someone edited the schedule by hand.
      }
      let nextFireAt: string | null = null;
      const utc = !schedule.ScheduleExpressionTimezone || schedule.ScheduleExpressionTimezone === 'UTC';
      if (schedule.State === 'ENABLED' && schedule.ScheduleExpression && utc) {
        try {
          nextFireAt = parseCron(schedule.ScheduleExpression).next(now())?.toISOString() ?? null;
        } catch {
          // An expression outside the subset we read (edited by hand): no next time to report.
        }
      }
      return {
        scheduleName: name,
        groupName: group,
        expression: schedule.ScheduleExpression ?? null,
        timezone: schedule.ScheduleExpressionTimezone ?? null,
        state: schedule.State ?? null,
        description: schedule.Description ?? null,
        targetArn: schedule.Target?.Arn ?? null,
        roleArn: schedule.Target?.RoleArn ?? null,
        input,
        nextFireAt,
      };
    },
  };
  return schedules;
}

/** The schedules of the stack whose wiring is in the environment (Lambda, local run). */
export function schedulesFromEnv(env: NodeJS.ProcessEnv = process.env): OrgSchedules {
  return schedulerSchedules({
    syncQueueArn: requireEnv('syncQueueArn', env),
    roleArn: requireEnv('schedulerRoleArn', env),
    groupName: optionalEnv('scheduleGroupName', DEFAULTS.scheduleGroupName, env),
    namePrefix: optionalEnv('scheduleNamePrefix', DEFAULTS.scheduleNamePrefix, env),
  });
}
