import { setTimeout as sleep } from 'node:timers/promises';
import { GetScheduleCommand, ListSchedulesCommand, type GetScheduleCommandOutput, type ScheduleSummary } from '@aws-sdk/client-scheduler';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { scheduler, sqs } from '../shared/adapters/aws-clients.ts';
import { DEFAULTS } from '../shared/config.ts';
import { cronFiresBetween, parseCron } from '../shared/cron.ts';
import { scheduleName } from '../shared/schedule.ts';

/**
 * moto stores EventBridge Scheduler schedules but never fires them; this does, for the local run.
 * Every tick it lists the org schedules of the stack's group in moto and, for each one due since
 * the last tick, sends its SQS target its Input, as the scheduler would (the role it would assume
 * is not checked locally). After a pause (a laptop asleep) a schedule fires once, not once per
 * missed minute: the sync catches up from its watermark anyway. A schedule's details are read
 * again only when its LastModificationDate changes, so thousands of orgs cost one list a tick.
 */
export interface ScheduledFire {
  scheduleName: string;
  /** The due minute, or null when fired on request. */
  scheduledFor: string | null;
  queueUrl: string;
  body: string;
}

export interface LocalSchedulerOptions {
  signal: AbortSignal;
  now?: () => Date;
  tickMs?: number;
  groupName?: string;
  namePrefix?: string;
  onFire?: (fire: ScheduledFire) => void;
  onError?: (error: unknown) => void;
}

export interface LocalScheduler {
  /** Checks the schedules against the clock now; the loop calls it every tickMs. */
  tick(): Promise<ScheduledFire[]>;
  /** Fires the org's schedule at once, whatever its expression: for demos. */
  fireNow(orgId: string): Promise<ScheduledFire[]>;
  /** Settles when the signal stops the loop. */
  stopped: Promise<void>;
}

type Details = Pick<GetScheduleCommandOutput, 'ScheduleExpression' | 'ScheduleExpressionTimezone' | 'State' | 'Target'>;

export function startLocalScheduler(options: LocalSchedulerOptions): LocalScheduler {
  const now = options.now ?? (() => new Date());
  const group = options.groupName ?? DEFAULTS.scheduleGroupName;
  const prefix = options.namePrefix ?? DEFAULTS.scheduleNamePrefix;
  const queueUrls = new Map<string, string>();
  const lastFired = new Map<string, number>();
  const details = new Map<string, { modified: number; details: Details }>();
  let checkedUpTo = now();

  const listSchedules = async (): Promise<ScheduleSummary[]> => {
    const found: ScheduleSummary[] = [];
    let token: string | undefined;
    do {
      const out = await scheduler().send(new ListSchedulesCommand({ GroupName: group, NamePrefix: prefix, NextToken: token }));
      found.push(...(out.Schedules ?? []));
      token = out.NextToken;
    } while (token);
    // NamePrefix is not applied by every moto version: filter here too.
    return found.filter((s) => s.Name?.startsWith(prefix));
  };

  const detailsOf = async (summary: ScheduleSummary): Promise<Details> => {
    const modified = summary.LastModificationDate?.getTime() ?? 0;
    const known = details.get(summary.Name!);
    if (known && known.modified === modified) return known.details;
    const out = await scheduler().send(new GetScheduleCommand({ Name: summary.Name!, GroupName: group }));
    details.set(summary.Name!, { modified, details: out });
    return out;
  };

  const queueUrlOf = async (arn: string): Promise<string> => {
    const known = queueUrls.get(arn);
    if (known) return known;
    const [, , , , account, name] = arn.split(':');
    const out = await sqs().send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
    queueUrls.set(arn, out.QueueUrl!);
    return out.QueueUrl!;
  };

  const fire = async (name: string, schedule: Details, scheduledFor: Date | null): Promise<ScheduledFire[]> => {
    const arn = schedule.Target?.Arn;
    if (!arn?.startsWith('arn:aws:sqs:')) {
      options.onError?.(new Error(`schedule ${name}: target ${arn} is not an SQS queue; the local scheduler only feeds queues`));
      return [];
    }
    const queueUrl = await queueUrlOf(arn);
    // Scheduler sends the target's Input as the message body; without one, an empty JSON object.
    const body = schedule.Target?.Input ?? '{}';
    await sqs().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    const done = { scheduleName: name, scheduledFor: scheduledFor?.toISOString() ?? null, queueUrl, body };
    options.onFire?.(done);
    return [done];
  };

  const tick = async (): Promise<ScheduledFire[]> => {
    const from = checkedUpTo;
    const to = now();
    if (to.getTime() <= from.getTime()) return [];
    checkedUpTo = to;
    const fires: ScheduledFire[] = [];
    for (const summary of await listSchedules()) {
      if (summary.State !== 'ENABLED' || !summary.Name) continue;
      const schedule = await detailsOf(summary);
      if (!schedule.ScheduleExpression) continue;
      if (schedule.ScheduleExpressionTimezone && schedule.ScheduleExpressionTimezone !== 'UTC') {
        options.onError?.(new Error(`schedule ${summary.Name}: time zone ${schedule.ScheduleExpressionTimezone}; the local scheduler reads UTC only`));
        continue;
      }
      let due: Date | undefined;
      try {
        due = cronFiresBetween(parseCron(schedule.ScheduleExpression), from, to).at(-1);
      } catch (error) {
        options.onError?.(new Error(`schedule ${summary.Name}: ${(error as Error).message}`));
        continue;
      }
      if (!due || due.getTime() <= (lastFired.get(summary.Name) ?? -Infinity)) continue;
      lastFired.set(summary.Name, due.getTime());
      fires.push(...(await fire(summary.Name, schedule, due)));
    }
    return fires;
  };

  const fireNow = async (orgId: string): Promise<ScheduledFire[]> => {
    const name = scheduleName(orgId, prefix);
    let schedule: Details;
    try {
      schedule = await scheduler().send(new GetScheduleCommand({ Name: name, GroupName: group }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
      throw new Error(`org ${orgId} has no schedule ${name} in group ${group}: it is not registered or its syncFrequency is never`);
    }
    return fire(name, schedule, null);
  };

  const loop = async () => {
    const tickMs = options.tickMs ?? 5_000;
    while (!options.signal.aborted) {
      await tick().catch((error: unknown) => options.onError?.(error));
      await sleep(tickMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  };

  return { tick, fireNow, stopped: loop() };
}
