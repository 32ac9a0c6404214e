import { readFileSync } from 'node:fs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../bin/commands/target.ts';
import { EVENTS_MAX_RECEIVE_COUNT, OUTBOX_SWEEP_MINUTES, SYNC_MAX_RECEIVE_COUNT } from '../../infra/constants.ts';
import { FLUSH_LEASE_MS } from '../../functions/outbox-flusher/wiring.ts';
import { DEFAULTS } from '../../shared/config.ts';
import { GlanceSalesforceSyncStack, OUTPUTS } from '../../infra/stack.ts';

type Json = Record<string, any>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

// The same feature flags `cdk synth` applies, so the test sees the deployed template.
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));

let app: App;
let stack: GlanceSalesforceSyncStack;
let template: Template;
let resources: Record<string, Json>;

const id = (construct: IConstruct): string => {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.getLogicalId(element);
};
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [id(construct), 'Arn'] });
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const flat = (value: unknown) => JSON.stringify(value);

const allFunctions = () => [
  stack.functions.webhookIngest,
  stack.functions.sessionProcessor,
  stack.functions.syncRun,
  stack.functions.syncNow,
  stack.functions.orgCheck,
  stack.functions.outboxFlusher,
];

function functionResource(fn: IConstruct): Json {
  return resources[id(fn)]!;
}

function envOf(fn: IConstruct): Record<string, unknown> {
  return functionResource(fn).Properties.Environment.Variables;
}

/** Every Allow statement of every inline policy attached to the function's role. */
function statementsOf(fn: IConstruct): Statement[] {
  const roleId = functionResource(fn).Properties.Role['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: Json) => role.Ref === roleId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[])
    .filter((s) => s.Effect === 'Allow');
}

function actionsOf(fn: IConstruct, prefix: string): string[] {
  return statementsOf(fn).flatMap((s) => list(s.Action)).filter((a) => a.startsWith(prefix));
}

function resourcesFor(fn: IConstruct, action: string): string[] {
  return statementsOf(fn)
    .filter((s) => list(s.Action).includes(action))
    .flatMap((s) => list(s.Resource).map(flat));
}

beforeAll(() => {
  // The template without esbuild: no stack is bundled (`aws:cdk:bundling-stacks` empty, as
  // `cdk synth --exclusively` does for unselected stacks), so this suite takes seconds whatever
  // the load. The real bundles are checked by test/integration/bundles.test.ts.
  app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  stack = new GlanceSalesforceSyncStack(app, 'TestStack');
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

describe('queues', () => {
  it.each([
    ['events', () => stack.queues.events, () => stack.queues.eventsDlq, EVENTS_MAX_RECEIVE_COUNT, 6 * 120],
    ['sync', () => stack.queues.sync, () => stack.queues.syncDlq, SYNC_MAX_RECEIVE_COUNT, 6 * 300],
  ])('%s queue redrives to its DLQ, is encrypted, visibility 6x the consumer timeout', (_, queue, dlq, count, visibility) => {
    expect(resources[id(queue())]!.Properties).toEqual(
      expect.objectContaining({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: visibility,
        RedrivePolicy: { deadLetterTargetArn: arnOf(dlq()), maxReceiveCount: count },
      }),
    );
    expect(resources[id(dlq())]!.Properties).toEqual(
      expect.objectContaining({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 }),
    );
  });

  it('exports the receive counts the DLQ alarms and processor rely on', () => {
    expect(EVENTS_MAX_RECEIVE_COUNT).toBe(5);
    expect(SYNC_MAX_RECEIVE_COUNT).toBe(3);
  });

  it('denies non-TLS access on all four queues', () => {
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    for (const queue of [stack.queues.events, stack.queues.eventsDlq, stack.queues.sync, stack.queues.syncDlq]) {
      const policy = Object.values(policies).find((p) => p.Properties.Queues.some((q: Json) => q.Ref === id(queue)));
      expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('has no queue policy admitting a service: the org schedules send with a role of their own', () => {
    const statements = Object.values(template.findResources('AWS::SQS::QueuePolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    expect(statements.filter((st) => st.Effect === 'Allow')).toEqual([]);
  });
});

describe('org schedules (EventBridge Scheduler) and the pipeline events bus', () => {
  it('a schedule group named after the stack', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: `${stack.stackName}-org-syncs` });
  });

  it('a role only the scheduler, for this account and group, can assume, that may send to the SyncQueue and nothing else', () => {
    const role = resources[id(stack.orgSchedules.schedulerRole)]!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:schedule/${stack.stackName}-org-syncs/*`]] } },
        },
      },
    ]);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => (p.Properties.Roles as Json[]).some((r) => r.Ref === id(stack.orgSchedules.schedulerRole)));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    expect(statements.flatMap((st) => list(st.Action)).filter((a) => !a.startsWith('kms:')).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(new Set(statements.map((st) => flat(st.Resource)))).toEqual(new Set([flat(arnOf(stack.queues.sync))]));
  });

  it('a bus of its own for the pipeline events, which SyncRun and SessionProcessor may put events on', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: `${stack.stackName}-events` });
    for (const fn of [stack.functions.syncRun, stack.functions.sessionProcessor]) {
      expect(resourcesFor(fn, 'events:PutEvents')).toEqual([flat(arnOf(stack.orgSchedules.pipelineEvents))]);
    }
    expect(actionsOf(stack.functions.syncNow, 'events:')).toEqual([]);
    expect(actionsOf(stack.functions.webhookIngest, 'events:')).toEqual([]);
  });
});

describe('tables', () => {
  it('OrgsTable: pk/sk strings, on demand, PITR, AWS-managed key, retained, TTL on expiresAt (pause history)', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
    expect(resources[id(stack.tables.orgs)]!.Properties.KeySchema).toHaveLength(2);
    expect(resources[id(stack.tables.orgs)]!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('DedupeTable: pk only, on demand, TTL on expiresAt, PITR', () => {
    expect(resources[id(stack.tables.dedupe)]!.Properties).toEqual(
      expect.objectContaining({
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
  });
});

const table = (t: () => IConstruct) => ({ Ref: id(t()) });
const queueUrl = (q: () => IConstruct) => ({ Ref: id(q()) });
const outboxEnv = () => ({
  OUTBOX_TABLE: table(() => stack.tables.outbox),
  RECORD_BUDGET_SECONDS: { Ref: 'RecordBudgetSeconds' },
  OUTBOX_FLUSH_RECORDS: String(DEFAULTS.outboxFlushRecords),
});

describe('functions', () => {
  const common = (service: string) => ({
    POWERTOOLS_SERVICE_NAME: service,
    POWERTOOLS_METRICS_NAMESPACE: 'GlanceSalesforceSync',
    NODE_OPTIONS: '--enable-source-maps',
  });

  it.each([
    ['webhook-ingest', () => stack.functions.webhookIngest, 256, 10],
    ['session-processor', () => stack.functions.sessionProcessor, 512, 120],
    ['sync-run', () => stack.functions.syncRun, 512, 300],
    ['sync-now', () => stack.functions.syncNow, 256, 30],
    ['org-check', () => stack.functions.orgCheck, 256, 60],
    ['outbox-flusher', () => stack.functions.outboxFlusher, 512, 120],
  ])('%s: nodejs22.x on arm64, ESM bundle, traced, own log group', (_, fn, memory, timeout) => {
    const props = functionResource(fn()).Properties;
    expect(props).toEqual(
      expect.objectContaining({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: memory,
        Timeout: timeout,
        TracingConfig: { Mode: 'PassThrough' },
      }),
    );
    const logGroupId = props.LoggingConfig.LogGroup.Ref;
    expect(resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    expect(resources[props.Role['Fn::GetAtt'][0]]!.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('sets each function the environment it reads', () => {
    const { tables, queues, functions } = stack;
    expect(envOf(functions.webhookIngest)).toEqual({
      ...common('webhook-ingest'),
      ORGS_TABLE: table(() => tables.orgs),
      EVENTS_QUEUE_URL: queueUrl(() => queues.events),
      SECRET_PREFIX: 'glance-sync/',
    });
    expect(envOf(functions.sessionProcessor)).toEqual({
      ...common('session-processor'),
      ORGS_TABLE: table(() => tables.orgs),
      DEDUPE_TABLE: table(() => tables.dedupe),
      DEBUG_TRACES_TABLE: table(() => tables.traces),
      EVENTS_QUEUE_URL: queueUrl(() => queues.events),
      EVENTS_DLQ_URL: queueUrl(() => queues.eventsDlq),
      EVENTS_MAX_RECEIVE_COUNT: String(EVENTS_MAX_RECEIVE_COUNT),
      SECRET_PREFIX: 'glance-sync/',
      PIPELINE_EVENT_BUS_NAME: { Ref: id(stack.orgSchedules.pipelineEvents) },
      ...outboxEnv(),
    });
    expect(envOf(functions.outboxFlusher)).toEqual({
      ...common('outbox-flusher'),
      ORGS_TABLE: table(() => tables.orgs),
      DEDUPE_TABLE: table(() => tables.dedupe),
      DEBUG_TRACES_TABLE: table(() => tables.traces),
      EVENTS_DLQ_URL: queueUrl(() => queues.eventsDlq),
      EVENTS_MAX_RECEIVE_COUNT: String(EVENTS_MAX_RECEIVE_COUNT),
      SECRET_PREFIX: 'glance-sync/',
      PIPELINE_EVENT_BUS_NAME: { Ref: id(stack.orgSchedules.pipelineEvents) },
      ...outboxEnv(),
    });
    expect(envOf(functions.syncRun)).toEqual({
      ...common('sync-run'),
      ORGS_TABLE: table(() => tables.orgs),
      EVENTS_QUEUE_URL: queueUrl(() => queues.events),
      SYNC_QUEUE_URL: queueUrl(() => queues.sync),
      EVENTS_DLQ_URL: queueUrl(() => queues.eventsDlq),
      SYNC_DLQ_URL: queueUrl(() => queues.syncDlq),
      SECRET_PREFIX: 'glance-sync/',
      GLANCE_API_URL: { Ref: 'GlanceApiUrl' },
      PIPELINE_EVENT_BUS_NAME: { Ref: id(stack.orgSchedules.pipelineEvents) },
    });
    expect(envOf(functions.syncNow)).toEqual({
      ...common('sync-now'),
      ORGS_TABLE: table(() => tables.orgs),
      SYNC_QUEUE_URL: queueUrl(() => queues.sync),
    });
    expect(envOf(functions.orgCheck)).toEqual({ ...common('org-check'), SECRET_PREFIX: 'glance-sync/' });
    template.hasParameter('GlanceApiUrl', { Type: 'String', Default: 'https://cloud.glance.net' });
  });

  it('puts no secret-like value in any environment', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(6);
    for (const fn of Object.values(fns)) {
      for (const [name, value] of Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>)) {
        if (/SECRET|KEY|TOKEN|PASSWORD/.test(name)) expect(name).toMatch(/_(PREFIX|URL|TABLE)$/);
        if (typeof value === 'string') expect(value).not.toMatch(/whsec_|-----BEGIN|^[A-Za-z0-9+/=_-]{32,}$/);
      }
    }
  });

  it('SessionProcessor consumes EventsQueue in reported-failure batches of 50', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id(stack.functions.sessionProcessor) },
      EventSourceArn: arnOf(stack.queues.events),
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('SyncRun consumes SyncQueue one message at a time with reported failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id(stack.functions.syncRun) },
      EventSourceArn: arnOf(stack.queues.sync),
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
  });
});

describe('least privilege', () => {
  const DYNAMO_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

  it('grants no wildcard action and no "*" resource (no active X-Ray tracing, which would need one)', () => {
    let statements = 0;
    for (const fn of allFunctions()) {
      for (const s of statementsOf(fn)) {
        statements++;
        expect(list(s.Action).filter((a) => a.includes('*'))).toEqual([]);
        expect(list(s.Resource)).not.toContain('*');
      }
    }
    expect(statements).toBeGreaterThan(0);
  });

  it('WebhookIngest reads OrgsTable (and puts its "last webhook accepted" item), and only group webhook secrets', () => {
    const fn = stack.functions.webhookIngest;
    expect(actionsOf(fn, 'dynamodb:').sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    expect(resourcesFor(fn, 'dynamodb:GetItem')).toEqual([flat(arnOf(stack.tables.orgs))]);
    expect(actionsOf(fn, 'secretsmanager:')).toEqual(['secretsmanager:GetSecretValue']);
    const secrets = resourcesFor(fn, 'secretsmanager:GetSecretValue');
    expect(secrets).toHaveLength(1);
    for (const secret of secrets) expect(secret).toContain(':secret:glance-sync/group/*/webhook*"');
    expect(resourcesFor(fn, 'sqs:SendMessage')).toEqual([flat(arnOf(stack.queues.events))]);
  });

  it('SessionProcessor reads Salesforce secrets only, sends only to the events queue and its DLQ, writes OrgsTable only in HEALTH# items (Put, Update, Delete) and SYNCRUN# items (Update)', () => {
    const fn = stack.functions.sessionProcessor;
    const secrets = resourcesFor(fn, 'secretsmanager:GetSecretValue');
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toContain(':secret:glance-sync/org/*/salesforce*"');
    expect(secrets.join()).not.toMatch(/group\/\*\/glance/);
    expect(resourcesFor(fn, 'sqs:SendMessage').sort()).toEqual([flat(arnOf(stack.queues.events)), flat(arnOf(stack.queues.eventsDlq))].sort());
    const orgsWrites = statementsOf(fn)
      .filter((s) => flat(s.Resource) === flat(arnOf(stack.tables.orgs)))
      .flatMap((s) => list(s.Action))
      .filter((a) => DYNAMO_WRITES.includes(a));
    expect([...new Set(orgsWrites)].sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(resourcesFor(fn, 'dynamodb:PutItem').sort()).toEqual([flat(arnOf(stack.tables.orgs)), flat(arnOf(stack.tables.dedupe)), flat(arnOf(stack.tables.outbox))].sort());
    // Only the org's health (breaker, login state, last error) and a sync run's counters, never an
    // org, a pairing or a sync run item: every written partition key starts HEALTH# or SYNCRUN#.
    const orgsWriting = statementsOf(fn).filter((s) => flat(s.Resource) === flat(arnOf(stack.tables.orgs)) && list(s.Action).some((a) => DYNAMO_WRITES.includes(a)));
    const grants = orgsWriting.map((s) => [list(s.Action).sort(), (s as Statement & { Condition?: unknown }).Condition]);
    expect(grants).toEqual(
      expect.arrayContaining([
        [['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['HEALTH#*'] } }],
        [['dynamodb:UpdateItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SYNCRUN#*'] } }],
      ]),
    );
    expect(grants).toHaveLength(2);
    // It flushes only the orgs it just filled; finding due orgs is the flusher's.
    expect(statementsOf(fn).flatMap((s) => list(s.Resource).map(flat)).join()).not.toContain('/index/');
  });

  it("SyncRun reads the groups' Glance secrets and the orgs' Salesforce secrets (for the run's record in the org) only, and sends only to EventsQueue and the two DLQs", () => {
    const fn = stack.functions.syncRun;
    const secrets = resourcesFor(fn, 'secretsmanager:GetSecretValue').sort();
    expect(secrets).toHaveLength(2);
    expect(secrets[0]).toContain(':secret:glance-sync/group/*/glance*"');
    expect(secrets[1]).toContain(':secret:glance-sync/org/*/salesforce*"');
    expect(resourcesFor(fn, 'sqs:SendMessage').sort()).toEqual(
      [flat(arnOf(stack.queues.events)), flat(arnOf(stack.queues.eventsDlq)), flat(arnOf(stack.queues.syncDlq))].sort(),
    );
  });

  it('SyncNow reads no secret, sends only to SyncQueue, touches no schedule', () => {
    const fn = stack.functions.syncNow;
    expect(actionsOf(fn, 'secretsmanager:')).toEqual([]);
    expect(resourcesFor(fn, 'sqs:SendMessage')).toEqual([flat(arnOf(stack.queues.sync))]);
    expect(actionsOf(fn, 'scheduler:')).toEqual([]);
  });

  it('OrgCheck reads only Salesforce credential secrets, and touches no table and no queue', () => {
    const fn = stack.functions.orgCheck;
    expect(actionsOf(fn, 'secretsmanager:')).toEqual(['secretsmanager:GetSecretValue']);
    const secrets = resourcesFor(fn, 'secretsmanager:GetSecretValue');
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toContain(':secret:glance-sync/org/*/salesforce*"');
    expect(actionsOf(fn, 'dynamodb:')).toEqual([]);
    expect(actionsOf(fn, 'sqs:')).toEqual([]);
  });

  it('OutboxFlusher reads Salesforce secrets only, sends only to the events DLQ, queries only the due index', () => {
    const fn = stack.functions.outboxFlusher;
    expect(resourcesFor(fn, 'secretsmanager:GetSecretValue')[0]).toContain(':secret:glance-sync/org/*/salesforce*"');
    expect(resourcesFor(fn, 'sqs:SendMessage')).toEqual([flat(arnOf(stack.queues.eventsDlq))]);
    const queried = resourcesFor(fn, 'dynamodb:Query').join();
    expect(queried).toContain('/index/due');
    expect(queried).not.toContain('/index/*');
  });

  it('no function but SessionProcessor and OutboxFlusher touches DedupeTable', () => {
    const dedupe = flat(arnOf(stack.tables.dedupe));
    for (const fn of [stack.functions.webhookIngest, stack.functions.syncRun, stack.functions.syncNow, stack.functions.orgCheck]) {
      expect(statementsOf(fn).map((s) => flat(s.Resource))).not.toContain(dedupe);
    }
  });

  it('OrgAdminPolicy covers the admin CLI and nothing outside its prefixes', () => {
    const policy = resources[id(stack.adminPolicy)]!;
    const statements = policy.Properties.PolicyDocument.Statement as (Statement & { Sid: string })[];
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(list(bySid.SyncNow!.Action)).toEqual(['lambda:InvokeFunction']);
    expect(bySid.SyncNow!.Resource).toEqual(expect.arrayContaining([arnOf(stack.functions.syncNow), arnOf(stack.functions.orgCheck)]));
    expect(bySid.SyncNow!.Resource).toHaveLength(2);
    expect(flat(bySid.OrgSchedules!.Resource)).toContain(`:schedule/${stack.stackName}-org-syncs/glance-sync-org-*"`);
    expect(list(bySid.OrgSchedules!.Action).sort()).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule']);
    // Passing the scheduler role, to the scheduler only: an admin cannot hand it to anything else.
    expect(bySid.PassSchedulerRole!.Resource).toEqual(arnOf(stack.orgSchedules.schedulerRole));
    expect((bySid.PassSchedulerRole as Statement & { Condition?: unknown }).Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    expect(flat(bySid.OrgAndGroupSecrets!.Resource)).toContain(':secret:glance-sync/*"');
    // No CLI command reads a secret back: admins must not be able to read refresh tokens or private keys.
    for (const s of statements) expect(list(s.Action)).not.toContain('secretsmanager:GetSecretValue');
    expect(list(bySid.OrgAndGroupSecrets!.Action)).toContain('secretsmanager:UpdateSecretVersionStage');
    expect(bySid.OrgRecords!.Resource).toEqual(arnOf(stack.tables.orgs));
    // New credentials announce Org Resumed on the pipeline's bus, and on no other.
    expect(list(bySid.AnnounceOrgResumed!.Action)).toEqual(['events:PutEvents']);
    expect(bySid.AnnounceOrgResumed!.Resource).toEqual(arnOf(stack.orgSchedules.pipelineEvents));
    expect(bySid.InspectDeadLetters!.Resource).toEqual([arnOf(stack.queues.eventsDlq), arnOf(stack.queues.syncDlq)]);
    for (const s of statements) {
      expect(list(s.Action).filter((a) => a.includes('*'))).toEqual([]);
      expect(list(s.Resource)).not.toContain('*');
    }
  });
});

describe('the README alarm table', () => {
  it('has exactly one runbook row per alarm the stack creates, and no row for an alarm it does not', () => {
    const alarmIds = stack.alarms.node.children.filter((c) => c instanceof Alarm).map((c) => c.node.id).sort();
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    // One alarm table only (two overlapping ones drifted apart before).
    expect(readme.match(/^\| alarm \|/gm)).toHaveLength(1);
    const lines = readme.slice(readme.indexOf('| alarm | fires when | runbook: what to do |')).split('\n').slice(2);
    const rows = lines.slice(0, lines.findIndex((l) => !l.startsWith('| `')));
    expect(rows.map((l) => /^\| `([A-Za-z]+)`/.exec(l)?.[1]).sort()).toEqual(alarmIds);
    expect(alarmIds.length).toBeGreaterThan(10);
  });
});

describe('webhook API', () => {
  it('routes POST /webhooks/glance/{groupId} to WebhookIngest', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    expect(Object.values(routes).map((r) => r.Properties.RouteKey)).toEqual(['POST /webhooks/glance/{groupId}']);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: arnOf(stack.functions.webhookIngest),
      PayloadFormatVersion: '2.0',
    });
  });

  it('throttles and access-logs the default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiAccessLogs'), 'Arn'] }, Format: Match.stringLikeRegexp('requestId') },
    });
  });
});

describe('alarms', () => {
  const topic = () => ({ Ref: id(stack.alarms.topic) });

  it.each([
    ['EventsDLQ', () => stack.queues.eventsDlq],
    ['SyncDLQ', () => stack.queues.syncDlq],
  ])('alarms when %s holds a message', (_, dlq) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(dlq()), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Period: 300,
      AlarmActions: [topic()],
    });
  });

  it('alarms on stale session events and on processor errors', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(stack.queues.events), 'QueueName'] } }],
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic()],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: id(stack.functions.sessionProcessor) } }],
      AlarmActions: [topic()],
    });
  });

  it('alarms on a stale sync request, rejected-webhook spikes, paused orgs, and errors and throttles of every function', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(stack.queues.sync), 'QueueName'] } }],
      Threshold: 1800,
      AlarmActions: [topic()],
    });
    for (const [service, metric, threshold] of [
      ['webhook-ingest', 'webhook_rejected', 20],
      ['webhook-ingest', 'webhook_unauthorized', 5],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'GlanceSalesforceSync',
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: service }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [topic()],
        OKActions: [topic()],
      });
    }
    // An org paused by either writer (the processor, the outbox flusher) alarms.
    const pausedBy = (service: string) =>
      Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'org_paused', Namespace: 'GlanceSalesforceSync', Dimensions: [{ Name: 'service', Value: service }] }) }) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([pausedBy('session-processor'), pausedBy('outbox-flusher')]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic()],
    });
    for (const fn of allFunctions()) {
      for (const metricName of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: id(fn) } }],
          AlarmActions: [topic()],
        });
      }
    }
  });

  it('subscribes AlarmEmail only when it is given', () => {
    template.hasParameter('AlarmEmail', { Type: 'String', Default: '' });
    template.hasResource('AWS::SNS::Subscription', {
      Condition: 'HasAlarmEmail',
      Properties: { Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' }, TopicArn: topic() },
    });
  });
});

describe('org outboxes', () => {
  it('OutboxTable: pk/sk, retained with PITR (acknowledged shares live only here), a sparse due index', () => {
    expect(resources[id(stack.tables.outbox)]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        GlobalSecondaryIndexes: [
          expect.objectContaining({
            IndexName: 'due',
            KeySchema: [
              { AttributeName: 'dueShard', KeyType: 'HASH' },
              { AttributeName: 'dueAt', KeyType: 'RANGE' },
            ],
          }),
        ],
      },
    });
  });

  it('a one-minute EventBridge Scheduler schedule invokes the flusher; the flusher outlives no flush lease', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: `rate(${OUTBOX_SWEEP_MINUTES} minute)`,
      Target: Match.objectLike({ Arn: arnOf(stack.functions.outboxFlusher) }),
    });
    expect(functionResource(stack.functions.outboxFlusher).Properties.Timeout * 1000).toBeLessThan(FLUSH_LEASE_MS);
    expect(functionResource(stack.functions.sessionProcessor).Properties.Timeout * 1000).toBeLessThan(FLUSH_LEASE_MS);
  });

  it('the record budget is a deploy parameter defaulting to the one shared place; the threshold comes from there', () => {
    // An AWS engineer changes how long records may wait with --parameters RecordBudgetSeconds=N, not by editing code.
    template.hasParameter('RecordBudgetSeconds', { Type: 'Number', Default: DEFAULTS.recordBudgetSeconds, MinValue: 0 });
    for (const fn of [stack.functions.sessionProcessor, stack.functions.outboxFlusher]) {
      expect(envOf(fn)).toMatchObject({ RECORD_BUDGET_SECONDS: { Ref: 'RecordBudgetSeconds' }, OUTBOX_FLUSH_RECORDS: String(DEFAULTS.outboxFlushRecords) });
    }
    expect(DEFAULTS.recordBudgetSeconds).toBe(300);
  });
});

describe('outputs', () => {
  it('exposes every output the admin CLI and deployers read', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(Object.values(OUTPUTS).sort());
    template.hasOutput(OUTPUTS.syncNowFunctionName, { Value: { Ref: id(stack.functions.syncNow) } });
    template.hasOutput(OUTPUTS.orgCheckFunctionName, { Value: { Ref: id(stack.functions.orgCheck) } });
    template.hasOutput(OUTPUTS.orgAdminPolicyArn, { Value: { Ref: id(stack.adminPolicy) } });
  });

  it('has every output the CLI reads, under the name it reads, naming the resource it uses', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const value = (key: string) => flat(outputs[key]?.Value);
    expect(value(STACK_OUTPUTS.orgsTable)).toBe(flat({ Ref: id(stack.tables.orgs) }));
    expect(value(STACK_OUTPUTS.tracesTable)).toBe(flat({ Ref: id(stack.tables.traces) }));
    expect(value(STACK_OUTPUTS.eventsQueueUrl)).toBe(flat({ Ref: id(stack.queues.events) }));
    expect(value(STACK_OUTPUTS.eventsDlqUrl)).toBe(flat({ Ref: id(stack.queues.eventsDlq) }));
    expect(value(STACK_OUTPUTS.syncQueueArn)).toBe(flat(arnOf(stack.queues.sync)));
    expect(value(STACK_OUTPUTS.syncNowFunction)).toBe(flat({ Ref: id(stack.functions.syncNow) }));
    expect(value(STACK_OUTPUTS.orgCheckFunction)).toBe(flat({ Ref: id(stack.functions.orgCheck) }));
    expect(value(STACK_OUTPUTS.schedulerRoleArn)).toBe(flat(stack.resolve(stack.orgSchedules.schedulerRole.roleArn)));
    expect(value(STACK_OUTPUTS.scheduleGroupName)).toBe(flat(stack.resolve(stack.orgSchedules.groupName)));
    expect(value(STACK_OUTPUTS.pipelineEventBusName)).toBe(flat(stack.resolve(stack.orgSchedules.pipelineEvents.eventBusName)));
    expect(Object.keys(STACK_OUTPUTS).sort()).toEqual([
      'eventsDlqUrl',
      'eventsQueueUrl',
      'orgCheckFunction',
      'orgsTable',
      'pipelineEventBusName',
      'scheduleGroupName',
      'schedulerRoleArn',
      'syncNowFunction',
      'syncQueueArn',
      'tracesTable',
      'webhookBaseUrl',
    ]);
  });

  it('lets the admin policy invoke exactly the functions the CLI invokes (SyncNow, OrgCheck), and no other', () => {
    const statements = resources[id(stack.adminPolicy)]!.Properties.PolicyDocument.Statement as (Statement & { Sid: string })[];
    const lambdaStatements = statements.filter((s) => list(s.Action).some((a) => a.startsWith('lambda:')));
    // The CLI calls Invoke with the unqualified function name, which IAM authorises against the
    // unqualified function ARN: no version or alias pattern is needed.
    expect(lambdaStatements).toEqual([{ Sid: 'SyncNow', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: expect.arrayContaining([arnOf(stack.functions.syncNow), arnOf(stack.functions.orgCheck)]) }]);
    const outputs = template.toJSON().Outputs as Record<string, { Value: { Ref: string } }>;
    expect(arnOf(stack.functions.syncNow)['Fn::GetAtt'][0]).toBe(outputs[STACK_OUTPUTS.syncNowFunction]!.Value.Ref);
    const otherPolicies = Object.entries(resources).filter(([key, r]) => key !== id(stack.adminPolicy) && r.Type === 'AWS::IAM::ManagedPolicy');
    expect(otherPolicies).toEqual([]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  // cdk-nag 3 reports through CDK's validation plugins, not annotations, so the pack is run directly.
  it('leaves no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('really inspects resources (an unencrypted, unprotected queue is reported)', () => {
    const control = new Stack(new App(), 'NagControl');
    new Queue(control, 'Bare');
    const rules = new AwsSolutionsChecks().validateScope(control).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});
