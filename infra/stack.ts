import { CfnOutput, CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import type { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { createOrgAdminPolicy } from './admin-policy.ts';
import { PipelineAlarms } from './alarms.ts';
import { WebhookApi } from './api.ts';
import { DEFAULT_GLANCE_API_URL, MAX_RECORD_BUDGET_SECONDS, RECORD_BUDGET_SECONDS } from './constants.ts';
import { DataTables } from './data.ts';
import { PipelineFunctions } from './functions.ts';
import { OrgSchedules } from './org-schedules.ts';
import { PipelineQueues } from './queues.ts';

/** Output keys the admin CLI and deployers read from the stack (DescribeStacks). */
export const OUTPUTS = {
  webhookBaseUrl: 'WebhookBaseUrl',
  orgsTableName: 'OrgsTableName',
  dedupeTableName: 'DedupeTableName',
  tracesTableName: 'DebugTracesTableName',
  outboxTableName: 'OutboxTableName',
  outboxFlusherFunctionName: 'OutboxFlusherFunctionName',
  eventsQueueUrl: 'EventsQueueUrl',
  eventsDlqUrl: 'EventsDlqUrl',
  syncQueueUrl: 'SyncQueueUrl',
  syncQueueArn: 'SyncQueueArn',
  syncDlqUrl: 'SyncDlqUrl',
  webhookIngestFunctionName: 'WebhookIngestFunctionName',
  sessionProcessorFunctionName: 'SessionProcessorFunctionName',
  syncRunFunctionName: 'SyncRunFunctionName',
  syncNowFunctionName: 'SyncNowFunctionName',
  orgCheckFunctionName: 'OrgCheckFunctionName',
  alarmTopicArn: 'AlarmTopicArn',
  orgAdminPolicyArn: 'OrgAdminPolicyArn',
  scheduleGroupName: 'ScheduleGroupName',
  schedulerRoleArn: 'SchedulerRoleArn',
  pipelineEventBusName: 'PipelineEventBusName',
  pipelineEventBusArn: 'PipelineEventBusArn',
} as const;

/**
 * Glance sessions into Salesforce: the webhook API and per-org schedules feed SQS, Lambdas write
 * to the orgs. Environment-agnostic: account and region come from the deployment, never lookups.
 */
export class GlanceSalesforceSyncStack extends Stack {
  readonly tables: DataTables;
  readonly queues: PipelineQueues;
  readonly orgSchedules: OrgSchedules;
  readonly functions: PipelineFunctions;
  readonly api: WebhookApi;
  readonly alarms: PipelineAlarms;
  readonly adminPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // A parameter, not context, so one synthesized template can point at a Glance test site.
    const glanceApiUrl = new CfnParameter(this, 'GlanceApiUrl', {
      type: 'String',
      default: DEFAULT_GLANCE_API_URL,
      allowedPattern: '^https?://\\S+$',
      description: 'Base URL of Glance\'s CRR (service login and sessions/ended) that scheduled syncs pull ended sessions from.',
    });

    // How long a session record may wait in its org's outbox before it is written (the product's
    // record budget): the deployer's trade between Salesforce API calls and how soon records appear.
    const recordBudgetSeconds = new CfnParameter(this, 'RecordBudgetSeconds', {
      type: 'Number',
      default: RECORD_BUDGET_SECONDS,
      minValue: 0,
      maxValue: MAX_RECORD_BUDGET_SECONDS,
      description: 'Seconds a session record may wait in its org\'s outbox before it is written to Salesforce (plus up to a minute for the sweep); 0 writes each batch at once. Chatter posts do not wait.',
    });

    this.tables = new DataTables(this, 'Data');
    this.queues = new PipelineQueues(this, 'Queues');
    this.orgSchedules = new OrgSchedules(this, 'OrgSchedules', { syncQueue: this.queues.sync });
    this.functions = new PipelineFunctions(this, 'Functions', {
      tables: this.tables,
      queues: this.queues,
      glanceApiUrl: glanceApiUrl.valueAsString,
      recordBudgetSeconds: recordBudgetSeconds.valueAsString,
      pipelineEvents: this.orgSchedules.pipelineEvents,
    });
    this.api = new WebhookApi(this, 'Api', { webhookIngest: this.functions.webhookIngest });
    this.alarms = new PipelineAlarms(this, 'Alarms', {
      deadLetterQueues: { EventsDLQ: this.queues.eventsDlq, SyncDLQ: this.queues.syncDlq },
      eventsQueue: this.queues.events,
      syncQueue: this.queues.sync,
      functions: {
        WebhookIngest: this.functions.webhookIngest,
        SessionProcessor: this.functions.sessionProcessor,
        SyncRun: this.functions.syncRun,
        SyncNow: this.functions.syncNow,
        OrgCheck: this.functions.orgCheck,
        OutboxFlusher: this.functions.outboxFlusher,
      },
    });
    this.adminPolicy = createOrgAdminPolicy(this, 'OrgAdminPolicy', {
      orgsTable: this.tables.orgs,
      tracesTable: this.tables.traces,
      syncNow: this.functions.syncNow,
      orgCheck: this.functions.orgCheck,
      orgSchedules: this.orgSchedules,
      pipelineEvents: this.orgSchedules.pipelineEvents,
      redrive: [
        { queue: this.queues.events, dlq: this.queues.eventsDlq },
        { queue: this.queues.sync, dlq: this.queues.syncDlq },
      ],
    });

    this.addOutputs();
  }

  private addOutputs(): void {
    const { tables, queues, functions, orgSchedules } = this;
    const outputs: Record<(typeof OUTPUTS)[keyof typeof OUTPUTS], [string, string]> = {
      WebhookBaseUrl: [this.api.webhookBaseUrl, 'Glance webhook URL without the group id: append {groupId}'],
      OrgsTableName: [tables.orgs.tableName, 'Orgs, pairings, sync runs and history, leases, watermarks'],
      DedupeTableName: [tables.dedupe.tableName, 'Idempotency records'],
      DebugTracesTableName: [tables.traces.tableName, 'Debug Mode decision traces, read by glance-sync debug'],
      OutboxTableName: [tables.outbox.tableName, 'Org outboxes: shares waiting to be written to Salesforce'],
      OutboxFlusherFunctionName: [functions.outboxFlusher.functionName, 'OutboxFlusher function: invoke with {"orgId": ...} to flush one org now'],
      EventsQueueUrl: [queues.events.queueUrl, 'Session events queue'],
      EventsDlqUrl: [queues.eventsDlq.queueUrl, 'Session events dead-letter queue'],
      SyncQueueUrl: [queues.sync.queueUrl, 'Sync run queue'],
      SyncQueueArn: [queues.sync.queueArn, 'Sync run queue ARN: the target of every org schedule'],
      SyncDlqUrl: [queues.syncDlq.queueUrl, 'Sync run dead-letter queue'],
      WebhookIngestFunctionName: [functions.webhookIngest.functionName, 'WebhookIngest function'],
      SessionProcessorFunctionName: [functions.sessionProcessor.functionName, 'SessionProcessor function'],
      SyncRunFunctionName: [functions.syncRun.functionName, 'SyncRun function'],
      SyncNowFunctionName: [functions.syncNow.functionName, 'SyncNow function, invoked by the admin CLI'],
      OrgCheckFunctionName: [functions.orgCheck.functionName, 'OrgCheck function, invoked by the admin CLI to check settings against an org'],
      AlarmTopicArn: [this.alarms.topic.topicArn, 'SNS topic receiving every alarm'],
      OrgAdminPolicyArn: [this.adminPolicy.managedPolicyArn, 'Managed policy to attach to admin CLI users or roles'],
      ScheduleGroupName: [orgSchedules.groupName, 'EventBridge Scheduler group holding one sync schedule per org'],
      SchedulerRoleArn: [orgSchedules.schedulerRole.roleArn, 'Role the org schedules use to send to the sync queue'],
      PipelineEventBusName: [orgSchedules.pipelineEvents.eventBusName, 'EventBridge bus of the pipeline events (Sync Run Completed, Org Paused, Org Resumed)'],
      PipelineEventBusArn: [orgSchedules.pipelineEvents.eventBusArn, 'ARN of that bus, for rules in other accounts'],
    };
    for (const [key, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, key, { value, description });
    }
  }
}
