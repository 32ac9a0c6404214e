import { Aws, Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { regionalArn, type ArnPattern } from './arns.ts';
import { PIPELINE_EVENT_BUS_SUFFIX, SCHEDULE_GROUP_SUFFIX, SCHEDULE_NAME_PREFIX } from './constants.ts';

export interface OrgSchedulesProps {
  readonly syncQueue: IQueue;
}

/**
 * Where the per-org sync schedules live and how they reach the sync queue: an EventBridge
 * Scheduler schedule group of the stack (the admin tooling creates one schedule per org in it at
 * runtime), the role the scheduler assumes to send to the sync queue, and the bus the pipeline
 * publishes its own events on (sync run completed, org paused, org resumed).
 */
export class OrgSchedules extends Construct {
  readonly groupName: string;
  readonly group: CfnScheduleGroup;
  /** Assumed by EventBridge Scheduler for this account's schedules only; may send to the sync queue and nothing else. */
  readonly schedulerRole: Role;
  /** The org schedules of the group, by name prefix: what admins may create, change and remove. */
  readonly schedules: ArnPattern;
  readonly pipelineEvents: EventBus;

  constructor(scope: Construct, id: string, { syncQueue }: OrgSchedulesProps) {
    super(scope, id);
    // A literal name (stack names are known at synth), so IAM can be scoped to the group's schedules.
    const stackName = Stack.of(this).stackName;
    this.groupName = `${stackName}${SCHEDULE_GROUP_SUFFIX}`;
    this.group = new CfnScheduleGroup(this, 'Group', { name: this.groupName });
    this.schedules = regionalArn('scheduler', `schedule/${this.groupName}/${SCHEDULE_NAME_PREFIX}*`);

    this.schedulerRole = new Role(this, 'SchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to send the org sync schedules to the sync queue',
      // Confused-deputy guard: only schedules of this account, in this stack's group.
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': regionalArn('scheduler', `schedule/${this.groupName}/*`).arn },
        },
      }),
    });
    syncQueue.grantSendMessages(this.schedulerRole);

    this.pipelineEvents = new EventBus(this, 'PipelineEvents', { eventBusName: `${stackName}${PIPELINE_EVENT_BUS_SUFFIX}` });
  }
}
