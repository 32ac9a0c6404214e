import { CreateTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CreateScheduleGroupCommand } from '@aws-sdk/client-scheduler';
import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { dynamo, eventBridge, scheduler, sqs } from '../shared/adapters/aws-clients.ts';
import { schedulerSchedules } from '../shared/adapters/schedules.ts';
import type { OrgSchedules } from '../shared/org-admin-ports.ts';
import { DEFAULTS, ENV } from '../shared/config.ts';
import { OUTBOX_DUE_INDEX } from '../shared/adapters/outbox-store.ts';

/** The resources of the CDK stack, made in moto_server for tests and the local run. */
export interface LocalResources {
  orgsTable: string;
  dedupeTable: string;
  tracesTable: string;
  eventsQueueUrl: string;
  eventsDlqUrl: string;
  syncQueueUrl: string;
  syncQueueArn: string;
  syncDlqUrl: string;
  outboxTable: string;
  /** The EventBridge Scheduler group of the org schedules. */
  scheduleGroupName: string;
  /** The role the org schedules name (moto does not check that the scheduler could assume it). */
  schedulerRoleArn: string;
  /** The bus the pipeline publishes its own events on. */
  pipelineEventBusName: string;
}

/** moto's default account: the ARN a stack's scheduler role would have. */
const LOCAL_SCHEDULER_ROLE_ARN = 'arn:aws:iam::123456789012:role/glance-sync-scheduler';

export const LOCAL_MAX_RECEIVE_COUNT = 5;

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const out = await sqs().send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = out.QueueUrl!;
  const attrs = await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: attrs.Attributes!.QueueArn! };
}

async function createTable(name: string, options: { sortKey?: boolean; ttl?: boolean; dueIndex?: boolean } = {}): Promise<string> {
  const keys = options.sortKey ? ['pk', 'sk'] : ['pk'];
  await dynamo().send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        ...keys.map((key) => ({ AttributeName: key, AttributeType: 'S' as const })),
        ...(options.dueIndex ? [{ AttributeName: 'dueShard', AttributeType: 'S' as const }, { AttributeName: 'dueAt', AttributeType: 'N' as const }] : []),
      ],
      KeySchema: keys.map((key, i) => ({ AttributeName: key, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      // The outbox's sparse index of due orgs, as in infra/data.ts.
      GlobalSecondaryIndexes: options.dueIndex
        ? [
            {
              IndexName: OUTBOX_DUE_INDEX,
              KeySchema: [
                { AttributeName: 'dueShard', KeyType: 'HASH' },
                { AttributeName: 'dueAt', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['orgId'] },
            },
          ]
        : undefined,
    }),
  );
  if (options.ttl) {
    await dynamo().send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }));
  }
  return name;
}

export async function createLocalResources(options: { visibilityTimeoutSeconds?: number } = {}): Promise<LocalResources> {
  const orgsTable = await createTable('glance-sync-orgs', { sortKey: true, ttl: true });
  const dedupeTable = await createTable('glance-sync-dedupe', { ttl: true });
  const tracesTable = await createTable('glance-sync-debug-traces', { sortKey: true, ttl: true });
  const outboxTable = await createTable('glance-sync-outbox', { sortKey: true, dueIndex: true });
  const visibility = String(options.visibilityTimeoutSeconds ?? 2);
  const eventsDlq = await createQueue('glance-sync-events-dlq', { MessageRetentionPeriod: String(14 * 24 * 3600) });
  const events = await createQueue('glance-sync-events', {
    VisibilityTimeout: visibility,
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: eventsDlq.arn, maxReceiveCount: LOCAL_MAX_RECEIVE_COUNT }),
  });
  const syncDlq = await createQueue('glance-sync-sync-dlq', { MessageRetentionPeriod: String(14 * 24 * 3600) });
  const sync = await createQueue('glance-sync-sync', {
    VisibilityTimeout: visibility,
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: syncDlq.arn, maxReceiveCount: 3 }),
  });
  await scheduler().send(new CreateScheduleGroupCommand({ Name: DEFAULTS.scheduleGroupName }));
  await eventBridge().send(new CreateEventBusCommand({ Name: DEFAULTS.pipelineEventBusName }));
  return {
    orgsTable,
    dedupeTable,
    tracesTable,
    eventsQueueUrl: events.url,
    eventsDlqUrl: eventsDlq.url,
    syncQueueUrl: sync.url,
    syncQueueArn: sync.arn,
    syncDlqUrl: syncDlq.url,
    scheduleGroupName: DEFAULTS.scheduleGroupName,
    schedulerRoleArn: LOCAL_SCHEDULER_ROLE_ARN,
    pipelineEventBusName: DEFAULTS.pipelineEventBusName,
    outboxTable,
  };
}

/** The org schedules of these resources, as the stack's admin tooling makes them. */
export function localSchedules(resources: LocalResources, now?: () => Date): OrgSchedules {
  return schedulerSchedules({
    syncQueueArn: resources.syncQueueArn,
    roleArn: resources.schedulerRoleArn,
    groupName: resources.scheduleGroupName,
    ...(now ? { now } : {}),
  });
}

/**
 * Sets the environment the Lambda handlers read, as the CDK stack would, except the record
 * budget: 0 (each batch written at once) unless `extra.recordBudgetSeconds` asks for the outbox,
 * so a test sees its records without a flush.
 */
export function exportResourceEnv(resources: LocalResources, extra: Partial<Record<keyof typeof ENV, string>> = {}): void {
  process.env[ENV.orgsTable] = resources.orgsTable;
  process.env[ENV.dedupeTable] = resources.dedupeTable;
  process.env[ENV.tracesTable] = resources.tracesTable;
  process.env[ENV.eventsQueueUrl] = resources.eventsQueueUrl;
  process.env[ENV.eventsDlqUrl] = resources.eventsDlqUrl;
  process.env[ENV.syncQueueUrl] = resources.syncQueueUrl;
  process.env[ENV.syncQueueArn] = resources.syncQueueArn;
  process.env[ENV.syncDlqUrl] = resources.syncDlqUrl;
  process.env[ENV.scheduleGroupName] = resources.scheduleGroupName;
  process.env[ENV.schedulerRoleArn] = resources.schedulerRoleArn;
  process.env[ENV.pipelineEventBusName] = resources.pipelineEventBusName;
  process.env[ENV.maxReceiveCount] = String(LOCAL_MAX_RECEIVE_COUNT);
  process.env[ENV.outboxTable] = resources.outboxTable;
  process.env[ENV.recordBudgetSeconds] = '0';
  for (const [key, value] of Object.entries(extra)) process.env[ENV[key as keyof typeof ENV]] = value;
}
