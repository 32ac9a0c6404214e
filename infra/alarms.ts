import { CfnCondition, CfnParameter, Duration, Fn } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnSubscription, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_NAMES } from '../shared/config.ts';
import { METRICS_NAMESPACE } from './constants.ts';

export interface PipelineAlarmsProps {
  readonly deadLetterQueues: Record<string, IQueue>;
  readonly eventsQueue: IQueue;
  readonly syncQueue: IQueue;
  /** Functions whose crashes and throttles alarm, by the name alarms and the README use. */
  readonly functions: Record<string, IFunction>;
}

const PERIOD = Duration.minutes(5);
/** Events older than this mean the processor is stuck or paused, and Salesforce is falling behind. */
export const EVENTS_MAX_AGE = Duration.minutes(15);
/** A sync request older than this: SyncRun is failing or throttled, and schedules fall behind. */
export const SYNC_MAX_AGE = Duration.minutes(30);
/**
 * Rejected webhooks per 5 minutes that count as a spike. A 401 is a wrong or rotated secret (or
 * someone probing): a few in a row already mean webhooks are being dropped.
 */
export const WEBHOOK_REJECTED_SPIKE = 20;
export const WEBHOOK_UNAUTHORIZED_SPIKE = 5;

/** A Powertools metric as CloudWatch stores it: our namespace, dimension `service`. */
function serviceMetric(service: string, metricName: string): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service }, statistic: 'Sum', period: PERIOD });
}

export class PipelineAlarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);

    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Glance Salesforce sync alarms', enforceSSL: true });

    // Created on the stack, not in this construct, so deployers pass it as plain `AlarmEmail`.
    const email = new CfnParameter(scope, 'AlarmEmail', {
      type: 'String',
      default: '',
      description: 'Optional address subscribed to the alarm topic (confirm the subscription email).',
    });
    const hasEmail = new CfnCondition(scope, 'HasAlarmEmail', {
      expression: Fn.conditionNot(Fn.conditionEquals(email.valueAsString, '')),
    });
    const subscription = new CfnSubscription(this, 'AlarmEmailSubscription', {
      topicArn: this.topic.topicArn,
      protocol: 'email',
      endpoint: email.valueAsString,
    });
    subscription.cfnOptions.condition = hasEmail;

    const action = new SnsAction(this.topic);
    const alarm = (alarmId: string, description: string, metric: IMetric, threshold: number, operator: ComparisonOperator) => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: operator,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        // No datapoints means an idle queue or function, which is healthy.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
    };

    for (const [name, dlq] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `${name}Depth`,
        `${name} holds messages: inspect them and redrive with the admin CLI.`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        1,
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      );
    }

    alarm(
      'EventsQueueAge',
      `The oldest session event has waited more than ${EVENTS_MAX_AGE.toMinutes()} minutes.`,
      props.eventsQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
      EVENTS_MAX_AGE.toSeconds(),
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );

    alarm(
      'SyncQueueAge',
      `The oldest sync request has waited more than ${SYNC_MAX_AGE.toMinutes()} minutes: scheduled syncs and Sync Now are not running.`,
      props.syncQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
      SYNC_MAX_AGE.toSeconds(),
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );

    alarm(
      'WebhookRejectedSpike',
      `At least ${WEBHOOK_REJECTED_SPIKE} webhooks were refused (4xx) in 5 minutes: their sessions were not queued.`,
      serviceMetric('webhook-ingest', METRIC_NAMES.webhookRejected),
      WEBHOOK_REJECTED_SPIKE,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    alarm(
      'WebhookUnauthorized',
      `At least ${WEBHOOK_UNAUTHORIZED_SPIKE} webhooks failed their signature check (401) in 5 minutes: a wrong or rotated group secret drops every webhook.`,
      serviceMetric('webhook-ingest', METRIC_NAMES.webhookUnauthorized),
      WEBHOOK_UNAUTHORIZED_SPIKE,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    alarm(
      'OrgPaused',
      "An org was paused: its sessions wait (they are not lost) until it recovers. See glance-sync orgs show for the reason.",
      // Both write orgs under the same breaker: the processor, and the outbox flusher.
      new MathExpression({
        expression: 'FILL(processor, 0) + FILL(flusher, 0)',
        usingMetrics: { processor: serviceMetric('session-processor', METRIC_NAMES.orgPaused), flusher: serviceMetric('outbox-flusher', METRIC_NAMES.orgPaused) },
        period: PERIOD,
      }),
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );

    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(
        `${name}Errors`,
        `${name} invocations failed (crashed or timed out; reported batch item failures do not count).`,
        fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        1,
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      );
      alarm(
        `${name}Throttles`,
        `${name} invocations were throttled (account or function concurrency): work is delayed, webhooks may be answered 429.`,
        fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        1,
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      );
    }
  }
}
