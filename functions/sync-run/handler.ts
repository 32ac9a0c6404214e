import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { runSync, type SyncRunDeps } from '../../shared/sync/sync-run.ts';
import { syncRequestSchema } from '../../shared/sync/sync-request.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { createGlanceActivityClient } from '../../shared/adapters/glance-activity.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { dynamoOrgHealth } from '../../shared/adapters/org-health-store.ts';
import { sqsEventsQueue } from '../../shared/adapters/events-queue.ts';
import { sqsDeadLetters } from '../../shared/adapters/dead-letters.ts';
import { cachedSecretReader } from '../../shared/adapters/secrets.ts';
import { salesforceClientCache } from '../../shared/adapters/salesforce-orgs.ts';
import { dynamoOrgPauses } from '../../shared/adapters/org-pauses.ts';
import { dynamoRunEffects } from '../../shared/adapters/run-effects.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { describeIssues } from '../../shared/session.ts';
import { pipelineEventsFromEnv } from '../../shared/adapters/pipeline-events.ts';
import { syncRunCompleted } from '../../shared/pipeline-events.ts';
import { fromPowertools } from '../../shared/log.ts';
import { DEFAULTS, METRICS_NAMESPACE, optionalEnv, requireEnv } from '../../shared/config.ts';

const logger = new Logger({ serviceName: 'sync-run' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'sync-run' });
const secrets = cachedSecretReader();
let health: ReturnType<typeof dynamoOrgHealth> | undefined;
/** Logged-in Salesforce clients kept across invocations, for the run records written into each org. */
let salesforceClients: ReturnType<typeof salesforceClientCache> | undefined;
/** The run record's calls wait at most this long (the call retry stops by then): it is best effort. */
const RUN_RECORD_DEADLINE_MS = 20_000;
// Read at first use: tests and the local run set the environment after importing the handler.
const events = () => pipelineEventsFromEnv();

type LambdaContext = Pick<Context, 'getRemainingTimeInMillis'>;

/** The wiring from the environment; exported so tests and the local run can swap one piece (a clock, a queue). */
export function syncRunDeps(context?: LambdaContext): SyncRunDeps {
  const registry = dynamoOrgRegistry(requireEnv('orgsTable'));
  const queue = sqsEventsQueue(requireEnv('eventsQueueUrl'));
  const prefix = optionalEnv('secretPrefix', DEFAULTS.secretPrefix);
  const baseUrl = optionalEnv('glanceApiUrl', DEFAULTS.glanceApiUrl);
  return {
    getOrg: (orgId) => registry.getOrg(orgId),
    history: dynamoSyncHistory(requireEnv('orgsTable')),
    async glanceCredentials(groupId) {
      const name = secretNames.groupGlance(prefix, groupId);
      return { name, value: await secrets.read(name) };
    },
    activityClient: (credentials) => createGlanceActivityClient({ baseUrl, credentials }),
    enqueue: (events) => queue.sendMany(events),
    // Read when first needed, so a stack without the DLQ wired still runs clean syncs.
    deadLetter: (message, reason) => sqsDeadLetters(requireEnv('eventsDlqUrl'))(message, reason),
    now: () => new Date(),
    log: fromPowertools(logger),
    health: (health ??= dynamoOrgHealth(requireEnv('orgsTable'))),
    runRecords: {
      history: dynamoSyncHistory(requireEnv('orgsTable')),
      runEffects: dynamoRunEffects(requireEnv('orgsTable')),
      // Read only: the processor alone writes the breaker's state.
      pauses: dynamoOrgPauses(requireEnv('orgsTable')),
      salesforceFor: (org) => (salesforceClients ??= salesforceClientCache(secrets, prefix))(org, () => Date.now() + RUN_RECORD_DEADLINE_MS),
      now: () => new Date(),
      log: fromPowertools(logger),
      onWritten: (outcome) => {
        if (outcome.written) metrics.addMetric('admin_records_written', MetricUnit.Count, outcome.written);
        if (outcome.refused) metrics.addMetric('admin_records_refused', MetricUnit.Count, outcome.refused);
      },
    },
    ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
  };
}

/**
 * Batch size 1 in the stack; more records are run one after another (two runs of one org at once
 * would only contend for its lease). A record whose run could not even be recorded (DynamoDB or
 * SQS down) goes back to the queue as a batch item failure; everything else is settled here.
 */
export function syncRunHandler(makeDeps: (context?: LambdaContext) => SyncRunDeps = syncRunDeps) {
  return async (event: SQSEvent, context?: LambdaContext): Promise<SQSBatchResponse> =>
    processPartialResponse(
      event,
      async (record: SQSRecord) => {
        try {
          await runRecord(record, makeDeps(context));
        } catch (error) {
          logger.error('sync request will be retried', { messageId: record.messageId, error: (error as Error).message });
          metrics.addMetric('sync_requests_retried', MetricUnit.Count, 1);
          throw error;
        }
      },
      // A processor per call: it holds the batch's state, and the local run and tests invoke concurrently.
      new BatchProcessor(EventType.SQS),
      // The Lambda answers with the failed items even when all failed, as the handler always has.
      { processInParallel: false, throwOnFullBatchFailure: false },
    );
}

async function runRecord(record: SQSRecord, deps: SyncRunDeps): Promise<void> {
  const message = { messageId: record.messageId, body: record.body, receiveCount: Number(record.attributes.ApproximateReceiveCount ?? '1') };
  const deadLetter: ReturnType<typeof sqsDeadLetters> = (m, reason) => sqsDeadLetters(requireEnv('syncDlqUrl'))(m, reason);
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch {
    await deadLetter(message, { reason: 'sync request is not JSON', orgIds: [] });
    metrics.addMetric('sync_requests_dead_lettered', MetricUnit.Count, 1);
    return;
  }
  const parsed = syncRequestSchema.safeParse(json);
  if (!parsed.success) {
    await deadLetter(message, { reason: `not a sync request: ${describeIssues(parsed.error)}`, orgIds: [] });
    metrics.addMetric('sync_requests_dead_lettered', MetricUnit.Count, 1);
    return;
  }
  const sentAt = new Date(Number(record.attributes.SentTimestamp) || Date.now());
  const outcome = await runSync(deps, parsed.data, { messageId: record.messageId, sentAt });
  if (outcome.kind === 'rejected') {
    await deadLetter(message, { reason: outcome.reason, orgIds: [parsed.data.orgId] });
    metrics.addMetric('sync_requests_dead_lettered', MetricUnit.Count, 1);
    logger.warn('sync request dead-lettered', { messageId: record.messageId, orgId: parsed.data.orgId, reason: outcome.reason });
  } else if (outcome.kind === 'duplicate') {
    logger.info('sync request already handled', { orgId: parsed.data.orgId, runId: outcome.run.runId, reason: outcome.reason });
  } else {
    logger.info('sync run recorded', { orgId: outcome.run.orgId, runId: outcome.run.runId, status: outcome.run.status, ...outcome.run.counts });
    metrics.addMetric(`sync_runs_${outcome.run.status}`, MetricUnit.Count, 1);
    metrics.addMetric('sync_sessions_queued', MetricUnit.Count, outcome.run.counts.queued);
    // News for customers, not part of the run: Sync History already holds it, so a failure is only logged.
    await events()
      .publish([syncRunCompleted(outcome.run)])
      .catch((error: Error) => logger.warn('could not publish Sync Run Completed', { orgId: outcome.run.orgId, runId: outcome.run.runId, error: error.message }));
  }
}

export const runSyncRequests = syncRunHandler();

export const handler = middy(runSyncRequests).use(injectLambdaContext(logger)).use(logMetrics(metrics));
