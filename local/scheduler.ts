import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeRuleCommand, ListRulesCommand, ListTargetsByRuleCommand, type Rule } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { eventBridge, sqs } from '../shared/adapters/aws-clients.ts';
import { DEFAULTS } from '../shared/config.ts';
import { cronFiresBetween, parseCron } from '../shared/cron.ts';
import { scheduleRuleName } from '../shared/schedule.ts';

/**
 * moto stores EventBridge rules but never fires them; this does, for the local run. Every tick it
 * reads the org rules from moto and, for each rule due since the last tick, sends each SQS
 * target its Input, as EventBridge would. After a pause (a laptop asleep) a rule fires once, not
 * once per missed minute: the sync catches up from its watermark anyway.
 */
export interface ScheduledFire {
  ruleName: string;
  /** The due minute, or null when fired on request. */
  scheduledFor: string | null;
  queueUrl: string;
  body: string;
}

export interface LocalSchedulerOptions {
  signal: AbortSignal;
  now?: () => Date;
  tickMs?: number;
  rulePrefix?: string;
  eventBusName?: string;
  onFire?: (fire: ScheduledFire) => void;
  onError?: (error: unknown) => void;
}

export interface LocalScheduler {
  /** Checks the rules against the clock now; the loop calls it every tickMs. */
  tick(): Promise<ScheduledFire[]>;
  /** Fires the org's rule at once, whatever its schedule: for demos. */
  fireNow(orgId: string): Promise<ScheduledFire[]>;
  /** Settles when the signal stops the loop. */
  stopped: Promise<void>;
}

export function startLocalScheduler(options: LocalSchedulerOptions): LocalScheduler {
  const now = options.now ?? (() => new Date());
  const prefix = options.rulePrefix ?? DEFAULTS.scheduleRulePrefix;
  const bus = options.eventBusName ?? DEFAULTS.eventBusName;
  const queueUrls = new Map<string, string>();
  const lastFired = new Map<string, number>();
  let checkedUpTo = now();

  const listRules = async (): Promise<Rule[]> => {
    const rules: Rule[] = [];
    let token: string | undefined;
    do {
      const out = await eventBridge().send(new ListRulesCommand({ NamePrefix: prefix, EventBusName: bus, NextToken: token }));
      rules.push(...(out.Rules ?? []));
      token = out.NextToken;
    } while (token);
    return rules;
  };

  const queueUrlOf = async (arn: string): Promise<string> => {
    const known = queueUrls.get(arn);
    if (known) return known;
    const [, , , , account, name] = arn.split(':');
    const out = await sqs().send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
    queueUrls.set(arn, out.QueueUrl!);
    return out.QueueUrl!;
  };

  const fire = async (ruleName: string, scheduledFor: Date | null): Promise<ScheduledFire[]> => {
    const out = await eventBridge().send(new ListTargetsByRuleCommand({ Rule: ruleName, EventBusName: bus }));
    const fires: ScheduledFire[] = [];
    for (const target of out.Targets ?? []) {
      if (!target.Arn?.startsWith('arn:aws:sqs:')) {
        options.onError?.(new Error(`rule ${ruleName}: target ${target.Arn} is not an SQS queue; the local scheduler only feeds queues`));
        continue;
      }
      const queueUrl = await queueUrlOf(target.Arn);
      const body = target.Input ?? scheduledEvent(ruleName, scheduledFor ?? now());
      await sqs().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      const done = { ruleName, scheduledFor: scheduledFor?.toISOString() ?? null, queueUrl, body };
      fires.push(done);
      options.onFire?.(done);
    }
    return fires;
  };

  const tick = async (): Promise<ScheduledFire[]> => {
    const from = checkedUpTo;
    const to = now();
    if (to.getTime() <= from.getTime()) return [];
    checkedUpTo = to;
    const fires: ScheduledFire[] = [];
    for (const rule of await listRules()) {
      if (rule.State !== 'ENABLED' || !rule.ScheduleExpression || !rule.Name) continue;
      let due: Date | undefined;
      try {
        due = cronFiresBetween(parseCron(rule.ScheduleExpression), from, to).at(-1);
      } catch (error) {
        options.onError?.(new Error(`rule ${rule.Name}: ${(error as Error).message}`));
        continue;
      }
      if (!due || due.getTime() <= (lastFired.get(rule.Name) ?? -Infinity)) continue;
      lastFired.set(rule.Name, due.getTime());
      fires.push(...(await fire(rule.Name, due)));
    }
    return fires;
  };

  const fireNow = async (orgId: string): Promise<ScheduledFire[]> => {
    const name = scheduleRuleName(orgId, prefix);
    try {
      await eventBridge().send(new DescribeRuleCommand({ Name: name, EventBusName: bus }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
      throw new Error(`org ${orgId} has no schedule rule ${name}: it is not registered or its syncFrequency is never`);
    }
    return fire(name, null);
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

/** What EventBridge delivers for a scheduled rule whose target has no Input of its own. */
function scheduledEvent(ruleName: string, time: Date): string {
  return JSON.stringify({
    version: '0',
    id: `local-${ruleName}-${time.getTime()}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    resources: [ruleName],
    detail: {},
  });
}
