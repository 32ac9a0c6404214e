import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processSessionBatch, type ProcessorDeps } from '../../shared/processing/session-processing.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { sqsEventsQueue } from '../../shared/adapters/events-queue.ts';
import { METRICS_NAMESPACE, PROCESSOR_REPORT_MARGIN_MS, requireEnv } from '../../shared/config.ts';
import { orgWriteDepsFromEnv, outboxFlushDeps } from '../outbox-flusher/wiring.ts';

const logger = new Logger({ serviceName: 'session-processor' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'session-processor' });

export async function processEvents(event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> {
  // Leave time to report the outcome: retries inside the batch stop before the Lambda would.
  const deadline = () => Date.now() + (context ? context.getRemainingTimeInMillis() - PROCESSOR_REPORT_MARGIN_MS : 30_000);
  const registry = dynamoOrgRegistry(requireEnv('orgsTable'));
  const eventsQueue = sqsEventsQueue(requireEnv('eventsQueueUrl'));
  const deps: ProcessorDeps = {
    ...orgWriteDepsFromEnv(logger, metrics, deadline),
    orgsForGroup: (groupId) => registry.orgsForGroup(groupId),
    requeue: (sessionEvent, delaySeconds) => eventsQueue.send(sessionEvent, delaySeconds),
  };
  const outboxFlush = outboxFlushDeps({
    ...deps,
    getOrg: (orgId) => registry.getOrg(orgId),
    deadline,
    // The Chatter pool's timer: a delayed message on this same queue.
    scheduleChatterFlush: (orgId, delaySeconds) => eventsQueue.sendChatterFlush(orgId, delaySeconds),
  });
  const outcome = await processSessionBatch(
    event.Records.map((r) => ({ messageId: r.messageId, body: r.body, receiveCount: Number(r.attributes.ApproximateReceiveCount ?? '1') })),
    { ...deps, outboxFlush },
  );
  if (outcome.adminRecords.written) metrics.addMetric('admin_records_written', MetricUnit.Count, outcome.adminRecords.written);
  if (outcome.adminRecords.refused) metrics.addMetric('admin_records_refused', MetricUnit.Count, outcome.adminRecords.refused);
  for (const [name, value] of Object.entries(outcome.counts)) {
    if (value > 0) metrics.addMetric(`sessions_${name}`, MetricUnit.Count, value);
  }
  logger.info('batch processed', { received: event.Records.length, ...outcome.counts });
  return { batchItemFailures: outcome.retry.map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = middy(processEvents).use(injectLambdaContext(logger)).use(logMetrics(metrics));
