import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  EVENTS_MAX_RECEIVE_COUNT,
  SESSION_PROCESSOR_TIMEOUT,
  SYNC_MAX_RECEIVE_COUNT,
  SYNC_RUN_TIMEOUT,
  VISIBILITY_TIMEOUT_FACTOR,
} from './constants.ts';

function queueWithDlq(scope: Construct, name: string, dlqName: string, consumerTimeout: Duration, maxReceiveCount: number) {
  const dlq = new Queue(scope, dlqName, {
    // Standard queues keep the original enqueue time, so the DLQ must outlive the source's retention.
    retentionPeriod: Duration.days(14),
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  const queue = new Queue(scope, name, {
    visibilityTimeout: Duration.seconds(consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    deadLetterQueue: { queue: dlq, maxReceiveCount },
  });
  return { queue, dlq };
}

export class PipelineQueues extends Construct {
  /** Session events from webhooks and syncs, consumed by SessionProcessor. */
  readonly events: Queue;
  readonly eventsDlq: Queue;
  /** `{orgId, trigger}` messages that start a sync run, consumed by SyncRun. */
  readonly sync: Queue;
  readonly syncDlq: Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const events = queueWithDlq(this, 'EventsQueue', 'EventsDLQ', SESSION_PROCESSOR_TIMEOUT, EVENTS_MAX_RECEIVE_COUNT);
    this.events = events.queue;
    this.eventsDlq = events.dlq;
    const sync = queueWithDlq(this, 'SyncQueue', 'SyncDLQ', SYNC_RUN_TIMEOUT, SYNC_MAX_RECEIVE_COUNT);
    this.sync = sync.queue;
    this.syncDlq = sync.dlq;
  }
}
