import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processSessionBatch } from '../../shared/processing/session-processing.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { dynamoDedupeLedger } from '../../shared/adapters/dedupe-ledger.ts';
import { dynamoTraceStore } from '../../shared/adapters/trace-store.ts';
import { dynamoOrgPauses } from '../../shared/adapters/org-pauses.ts';
import { dynamoOrgHealth } from '../../shared/adapters/org-health-store.ts';
import { dynamoRunEffects } from '../../shared/adapters/run-effects.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { sqsEventsQueue } from '../../shared/adapters/events-queue.ts';
import { DEFAULT_API_USAGE_SHARE_LIMIT } from '../../shared/api-allowance.ts';
import { sqsDeadLetters } from '../../shared/adapters/dead-letters.ts';
import { pipelineEventsFromEnv } from '../../shared/adapters/pipeline-events.ts';
import { orgPaused, orgResumed, type PipelineEvent } from '../../shared/pipeline-events.ts';
import { cachedSecretReader } from '../../shared/adapters/secrets.ts';
import { salesforceClientCache } from '../../shared/adapters/salesforce-orgs.ts';
import { fromPowertools } from '../../shared/log.ts';
import { DEFAULTS, METRIC_NAMES, METRICS_NAMESPACE, optionalEnv, PROCESSOR_LEASE_MS, PROCESSOR_REPORT_MARGIN_MS, requireEnv } from '../../shared/config.ts';

const logger = new Logger({ serviceName: 'session-processor' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'session-processor' });
const secrets = cachedSecretReader();
// Read at first use: tests and the local run set the environment after importing the handler.
const events = () => pipelineEventsFromEnv();
/** The pipeline's own events are news for customers, not part of the work: a failure is logged, never retried. */
const announce = (event: PipelineEvent) =>
  events().publish([event]).catch((error: Error) => logger.warn('could not publish a pipeline event', { detailType: event.detailType, error: error.message }));
/** Logged-in clients kept across invocations; each invocation passes its own retry deadline. */
let salesforceClients: ReturnType<typeof salesforceClientCache> | undefined;
/** Kept across invocations: it remembers what it recorded, so a warm container writes changes only. */
let health: ReturnType<typeof dynamoOrgHealth> | undefined;

export async function processEvents(event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> {
  const clients = (salesforceClients ??= salesforceClientCache(secrets, optionalEnv('secretPrefix', DEFAULTS.secretPrefix)));
  // Leave time to report the outcome: retries inside the batch stop before the Lambda would.
  const deadline = () => Date.now() + (context ? context.getRemainingTimeInMillis() - PROCESSOR_REPORT_MARGIN_MS : 30_000);
  const registry = dynamoOrgRegistry(requireEnv('orgsTable'));
  health ??= dynamoOrgHealth(requireEnv('orgsTable'));
  const eventsQueue = sqsEventsQueue(requireEnv('eventsQueueUrl'));
  const pauses = dynamoOrgPauses(requireEnv('orgsTable'), Date.now, {
    onResumed: (orgId, pause) => announce(orgResumed(orgId, pause.until, pause.reason, new Date())),
  });
  const outcome = await processSessionBatch(
    event.Records.map((r) => ({ messageId: r.messageId, body: r.body, receiveCount: Number(r.attributes.ApproximateReceiveCount ?? '1') })),
    {
      ledger: dynamoDedupeLedger(requireEnv('dedupeTable')),
      orgsForGroup: (groupId) => registry.orgsForGroup(groupId),
      salesforceFor: (org) => clients(org, deadline),
      forgetSalesforce: (orgId) => clients.forget(orgId),
      deadLetter: sqsDeadLetters(requireEnv('eventsDlqUrl')),
      maxReceiveCount: Number(optionalEnv('maxReceiveCount', String(DEFAULTS.maxReceiveCount))),
      pauses,
      requeue: (sessionEvent, delaySeconds) => eventsQueue.send(sessionEvent, delaySeconds),
      apiUsageShareLimit: Number(optionalEnv('apiUsageShareLimit', String(DEFAULT_API_USAGE_SHARE_LIMIT))),
      now: () => Date.now(),
      onPause: async (orgId, reason, until) => {
        // The total (service dimension only) is what the PausedOrgs alarm watches; per org for the dashboard.
        metrics.addMetric(METRIC_NAMES.orgPaused, MetricUnit.Count, 1);
        const metric = metrics.singleMetric();
        metric.addDimension('orgId', orgId);
        metric.addMetric(METRIC_NAMES.orgPaused, MetricUnit.Count, 1);
        await announce(orgPaused(orgId, until, reason));
      },
      leaseMs: PROCESSOR_LEASE_MS,
      chatterLeaseMs: PROCESSOR_LEASE_MS,
      traces: dynamoTraceStore(requireEnv('tracesTable')),
      health,
      runEffects: dynamoRunEffects(requireEnv('orgsTable')),
      runRecords: {
        history: dynamoSyncHistory(requireEnv('orgsTable')),
        runEffects: dynamoRunEffects(requireEnv('orgsTable')),
        getOrg: (orgId) => registry.getOrg(orgId),
      },
      log: fromPowertools(logger),
    },
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
