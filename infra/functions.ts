import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { ENV, SESSION_PROCESSOR_EVENT_SOURCE } from '../shared/config.ts';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { HEALTH_PREFIX } from '../shared/adapters/org-health-store.ts';
import { RUN_EFFECTS_PREFIX } from '../shared/adapters/run-effects.ts';
import { OUTBOX_DUE_INDEX } from '../shared/adapters/outbox-store.ts';
import { acceptWildcard, type ArnPattern, SECRETS } from './arns.ts';
import {
  EVENTS_MAX_RECEIVE_COUNT,
  OUTBOX_FLUSH_RECORDS,
  OUTBOX_SWEEP_MINUTES,
  RECORD_BUDGET_SECONDS,
  SECRET_PREFIX,
} from './constants.ts';
import type { DataTables } from './data.ts';
import { PipelineFunction } from './pipeline-function.ts';
import type { PipelineQueues } from './queues.ts';

// Item-level actions only: no Scan, no DescribeTable, nothing on streams or indexes.
const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

export interface PipelineFunctionsProps {
  readonly tables: DataTables;
  readonly queues: PipelineQueues;
  readonly glanceApiUrl: string;
  /** Where sync-run and session-processor publish the pipeline's own events. */
  readonly pipelineEvents: IEventBus;
  /** Seconds a record may wait in its org's outbox (a deploy parameter's token); default the shared record budget. */
  readonly recordBudgetSeconds?: string;
}

export class PipelineFunctions extends Construct {
  readonly webhookIngest: PipelineFunction;
  readonly sessionProcessor: PipelineFunction;
  readonly syncRun: PipelineFunction;
  readonly syncNow: PipelineFunction;
  readonly outboxFlusher: PipelineFunction;
  readonly outboxSweep: Schedule;
  readonly orgCheck: PipelineFunction;

  constructor(scope: Construct, id: string, { tables, queues, glanceApiUrl, pipelineEvents, recordBudgetSeconds }: PipelineFunctionsProps) {
    super(scope, id);
    const orgsTable = tables.orgs.tableName;
    // The session processor and the outbox flusher write to orgs the same way (org-writes.ts):
    // the same tables, secrets, dead-letter queue, event bus and outbox policy.
    const orgWriterEnv = {
      [ENV.orgsTable]: orgsTable,
      [ENV.dedupeTable]: tables.dedupe.tableName,
      [ENV.tracesTable]: tables.traces.tableName,
      [ENV.eventsDlqUrl]: queues.eventsDlq.queueUrl,
      [ENV.maxReceiveCount]: String(EVENTS_MAX_RECEIVE_COUNT),
      [ENV.secretPrefix]: SECRET_PREFIX,
      [ENV.pipelineEventBusName]: pipelineEvents.eventBusName,
      [ENV.outboxTable]: tables.outbox.tableName,
      [ENV.recordBudgetSeconds]: recordBudgetSeconds ?? String(RECORD_BUDGET_SECONDS),
      [ENV.outboxFlushRecords]: String(OUTBOX_FLUSH_RECORDS),
    };
    /** What an org writer may touch: breaker, login state and Sync History counters, the ledger, traces, Org Paused/Resumed events, dead letters, Salesforce credentials. */
    const grantOrgWriter = (fn: PipelineFunction, secretReason: string) => {
      grantTable(fn, tables.orgs, TABLE_READ);
      grantOrgWriterState(fn, tables.orgs);
      pipelineEvents.grantPutEventsTo(fn);
      grantTable(fn, tables.dedupe, [...TABLE_READ, ...TABLE_WRITE]);
      grantTable(fn, tables.traces, ['dynamodb:BatchWriteItem']);
      // It dead-letters permanent failures itself, with the reason, instead of burning retries.
      queues.eventsDlq.grantSendMessages(fn);
      grantSecretRead(fn, SECRETS.orgSalesforce, secretReason);
    };

    this.webhookIngest = new PipelineFunction(this, 'WebhookIngest', {
      name: 'webhook-ingest',
      environment: {
        [ENV.orgsTable]: orgsTable,
        [ENV.eventsQueueUrl]: queues.events.queueUrl,
        [ENV.secretPrefix]: SECRET_PREFIX,
      },
    });
    // PutItem: the group's small "last webhook accepted at" item (shared/adapters/webhook-activity.ts).
    grantTable(this.webhookIngest, tables.orgs, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem']);
    grantSecretRead(this.webhookIngest, SECRETS.groupWebhook, 'One webhook signing secret per Glance group, created at runtime by the admin CLI; the group id is only known per request.');
    queues.events.grantSendMessages(this.webhookIngest);

    this.sessionProcessor = new PipelineFunction(this, 'SessionProcessor', {
      name: 'session-processor',
      environment: { ...orgWriterEnv, [ENV.eventsQueueUrl]: queues.events.queueUrl },
    });
    this.sessionProcessor.addEventSource(
      new SqsEventSource(queues.events, {
        // From shared/config.ts, which the benchmark replays with.
        batchSize: SESSION_PROCESSOR_EVENT_SOURCE.batchSize,
        maxBatchingWindow: Duration.seconds(SESSION_PROCESSOR_EVENT_SOURCE.maxBatchingWindowSeconds),
        // Caps parallel Salesforce writers (row locks, per-org API limits) without reserving account concurrency.
        maxConcurrency: SESSION_PROCESSOR_EVENT_SOURCE.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    grantOrgWriter(this.sessionProcessor, 'One Salesforce credential secret per org, created at runtime by the admin CLI; a batch may span several orgs.');
    // One org's failed or paused share of an event goes back on the queue alone, delayed.
    queues.events.grantSendMessages(this.sessionProcessor);
    // Puts shares in the org outboxes and flushes an org once its threshold is reached (no index read).
    grantOutbox(this.sessionProcessor, tables.outbox, false);

    this.outboxFlusher = new PipelineFunction(this, 'OutboxFlusher', {
      name: 'outbox-flusher',
      environment: orgWriterEnv,
    });
    grantOrgWriter(this.outboxFlusher, 'One Salesforce credential secret per org, created at runtime by the admin CLI; a sweep flushes many orgs.');
    grantOutbox(this.outboxFlusher, tables.outbox, true);
    // One schedule for the whole deployment (not per org): the due index says which orgs to flush.
    const sweepRole = new Role(this, 'OutboxSweepRole', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') });
    this.outboxSweep = new Schedule(this, 'OutboxSweep', {
      description: 'Flushes org outboxes whose oldest share has waited the record budget',
      schedule: ScheduleExpression.rate(Duration.minutes(OUTBOX_SWEEP_MINUTES)),
      target: new LambdaInvoke(this.outboxFlusher, { retryAttempts: 0, role: sweepRole }),
    });
    // LambdaInvoke grants the function and its versions (`:*`); the next sweep comes a minute later anyway.
    const flusherId = Stack.of(this).getLogicalId(this.outboxFlusher.node.defaultChild as CfnElement);
    Validations.of(sweepRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${flusherId}.Arn>:*]`,
      reason: 'EventBridge Scheduler invokes the one outbox flusher function; the wildcard covers only its versions.',
    });

    this.syncRun = new PipelineFunction(this, 'SyncRun', {
      name: 'sync-run',
      environment: {
        [ENV.orgsTable]: orgsTable,
        [ENV.eventsQueueUrl]: queues.events.queueUrl,
        [ENV.syncQueueUrl]: queues.sync.queueUrl,
        [ENV.eventsDlqUrl]: queues.eventsDlq.queueUrl,
        [ENV.syncDlqUrl]: queues.syncDlq.queueUrl,
        [ENV.secretPrefix]: SECRET_PREFIX,
        [ENV.glanceApiUrl]: glanceApiUrl,
        [ENV.pipelineEventBusName]: pipelineEvents.eventBusName,
      },
    });
    pipelineEvents.grantPutEventsTo(this.syncRun);
    this.syncRun.addEventSource(new SqsEventSource(queues.sync, { batchSize: 1, reportBatchItemFailures: true }));
    grantTable(this.syncRun, tables.orgs, [...TABLE_READ, ...TABLE_WRITE]);
    queues.events.grantSendMessages(this.syncRun);
    // Invalid pulled sessions and malformed sync requests are dead-lettered with their reason.
    queues.eventsDlq.grantSendMessages(this.syncRun);
    queues.syncDlq.grantSendMessages(this.syncRun);
    grantSecretRead(this.syncRun, SECRETS.groupGlance, "One Glance CRR credential secret per group, created at runtime by the admin CLI; the group comes from the org's pairings.");
    // The run's Glance_Sync_Run__c is written into its org when the pull ends (Sync History in Salesforce).
    grantSecretRead(this.syncRun, SECRETS.orgSalesforce, "One Salesforce credential secret per org, created at runtime by the admin CLI; the run's org writes its Sync History record.");

    this.syncNow = new PipelineFunction(this, 'SyncNow', {
      name: 'sync-now',
      environment: {
        [ENV.orgsTable]: orgsTable,
        [ENV.syncQueueUrl]: queues.sync.queueUrl,
      },
    });
    grantTable(this.syncNow, tables.orgs, [...TABLE_READ, ...TABLE_WRITE]);
    queues.sync.grantSendMessages(this.syncNow);

    // The admin's role may not read an org's credentials; settings that need the org's describe
    // (recordMapping) are checked here instead, with describe calls only.
    this.orgCheck = new PipelineFunction(this, 'OrgCheck', {
      name: 'org-check',
      environment: { [ENV.secretPrefix]: SECRET_PREFIX },
    });
    grantSecretRead(this.orgCheck, SECRETS.orgSalesforce, "One Salesforce credential secret per org, created at runtime by the admin CLI; the org comes from the admin's request.");
  }
}

/**
 * What an org writer (the processor, the outbox flusher) may write in the orgs table: two kinds of
 * item and nothing else (never an org, a pairing or a sync run item); LeadingKeys is the partition
 * key of every item written.
 * HEALTH#{orgId}: the circuit breaker's PAUSE item (PutItem, UpdateItem for failures and probe
 * claims, the DeleteItem that ends a pause and announces Org Resumed) and the org's login state
 * and last error (conditional PutItem).
 * SYNCRUN#{orgId}: what a sync run's events did, added to the run's counters (UpdateItem only).
 */
function grantOrgWriterState(fn: PipelineFunction, orgs: Table): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: [orgs.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${HEALTH_PREFIX}*`] } },
    }),
  );
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:UpdateItem'],
      resources: [orgs.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RUN_EFFECTS_PREFIX}*`] } },
    }),
  );
}

function grantTable(fn: PipelineFunction, table: Table, actions: string[]): void {
  table.grant(fn, ...actions);
}

/** The outbox table's items, and its due index only for the flusher (Table.grant would allow every index by wildcard). */
function grantOutbox(fn: PipelineFunction, table: Table, readDueIndex: boolean): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: [...TABLE_READ, ...TABLE_WRITE], resources: [table.tableArn] }));
  if (readDueIndex) fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${OUTBOX_DUE_INDEX}`] }));
}

function grantSecretRead(fn: PipelineFunction, pattern: ArnPattern, reason: string): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [pattern.arn] }));
  acceptWildcard(fn.role!, pattern, reason);
}
