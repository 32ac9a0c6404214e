import { Aws } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acceptWildcard, regionalArn, SECRETS } from './arns.ts';
import { OLD_RULE_PREFIX } from '../shared/adapters/upgrade-leftovers.ts';

/** The per-org rules of earlier versions (default bus), which `upgrade cleanup` removes. */
const OLD_ORG_RULES = regionalArn('events', `rule/${OLD_RULE_PREFIX}*`);
import type { OrgSchedules } from './org-schedules.ts';

export interface OrgAdminPolicyProps {
  readonly orgsTable: Table;
  readonly tracesTable: Table;
  readonly syncNow: IFunction;
  readonly orgCheck: IFunction;
  readonly orgSchedules: OrgSchedules;
  /** The pipeline's event bus: new credentials announce Org Resumed on it. */
  readonly pipelineEvents: IEventBus;
  /** Source queues, paired with their DLQs, for inspection and redrive. */
  readonly redrive: ReadonlyArray<{ readonly queue: IQueue; readonly dlq: IQueue }>;
}

/** What the admin CLI needs, and no more; deployers attach it to the admins' role or group. */
export function createOrgAdminPolicy(scope: Construct, id: string, props: OrgAdminPolicyProps): ManagedPolicy {
  const policy = new ManagedPolicy(scope, id, {
    description: 'Glance Salesforce sync admin CLI: org registration and settings, secrets, schedules, Sync Now, DLQ redrive',
    statements: [
      new PolicyStatement({
        sid: 'ReadStackOutputs',
        actions: ['cloudformation:DescribeStacks'],
        resources: [Aws.STACK_ID],
      }),
      new PolicyStatement({
        sid: 'OrgRecords',
        actions: [
          'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query',
          'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable',
        ],
        resources: [props.orgsTable.tableArn],
      }),
      new PolicyStatement({
        sid: 'ReadDebugTraces',
        actions: ['dynamodb:Query'],
        resources: [props.tracesTable.tableArn],
      }),
      new PolicyStatement({
        sid: 'OrgAndGroupSecrets',
        actions: [
          // No GetSecretValue: no admin command reads a secret back, so an admin cannot read any
          // org's refresh token or private key. Rotation moves version labels instead.
          'secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret',
          'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:UpdateSecret', 'secretsmanager:DeleteSecret',
          // Re-registering a removed org within the secrets' recovery window restores them.
          'secretsmanager:RestoreSecret',
        ],
        resources: [SECRETS.all.arn],
      }),
      new PolicyStatement({
        sid: 'OrgSchedules',
        actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
        resources: [props.orgSchedules.schedules.arn],
      }),
      new PolicyStatement({
        sid: 'PassSchedulerRole',
        actions: ['iam:PassRole'],
        resources: [props.orgSchedules.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
      new PolicyStatement({
        // `upgrade cleanup`: the per-org EventBridge rules earlier versions made on the default bus.
        sid: 'OldOrgRules',
        actions: ['events:DescribeRule', 'events:ListTargetsByRule', 'events:RemoveTargets', 'events:DeleteRule'],
        resources: [OLD_ORG_RULES.arn],
      }),
      new PolicyStatement({
        sid: 'SyncNow',
        actions: ['lambda:InvokeFunction'],
        resources: [props.syncNow.functionArn, props.orgCheck.functionArn],
      }),
      new PolicyStatement({
        sid: 'AnnounceOrgResumed',
        actions: ['events:PutEvents'],
        resources: [props.pipelineEvents.eventBusArn],
      }),
      new PolicyStatement({
        sid: 'InspectDeadLetters',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        resources: props.redrive.map(({ dlq }) => dlq.queueArn),
      }),
      new PolicyStatement({
        sid: 'RedriveToSource',
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
        resources: props.redrive.map(({ queue }) => queue.queueArn),
      }),
    ],
  });
  acceptWildcard(policy, SECRETS.all, 'Admins create and rotate org and group secrets at runtime; the scope is the glance-sync/ prefix.');
  acceptWildcard(policy, props.orgSchedules.schedules, "Admins create, change and remove one schedule per org at runtime; the scope is the stack's schedule group and the name prefix.");
  acceptWildcard(policy, OLD_ORG_RULES, 'upgrade cleanup removes the per-org rules earlier versions made; the scope is their name prefix on the default bus.');
  return policy;
}
