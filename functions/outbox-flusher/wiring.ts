import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { dynamoOutboxStore } from '../../shared/adapters/outbox-store.ts';
import { dynamoDedupeLedger } from '../../shared/adapters/dedupe-ledger.ts';
import { dynamoTraceStore } from '../../shared/adapters/trace-store.ts';
import { dynamoDescribeCache, dynamoKnownLeads } from '../../shared/adapters/org-caches.ts';
import { dynamoOrgPauses } from '../../shared/adapters/org-pauses.ts';
import { dynamoOrgHealth } from '../../shared/adapters/org-health-store.ts';
import { dynamoRunEffects } from '../../shared/adapters/run-effects.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { sqsDeadLetters } from '../../shared/adapters/dead-letters.ts';
import { pipelineEventsFromEnv } from '../../shared/adapters/pipeline-events.ts';
import { cachedSecretReader } from '../../shared/adapters/secrets.ts';
import { salesforceClientCache } from '../../shared/adapters/salesforce-orgs.ts';
import { DEFAULT_API_USAGE_SHARE_LIMIT } from '../../shared/api-allowance.ts';
import { orgPaused, orgResumed, type PipelineEvent } from '../../shared/pipeline-events.ts';
import { fromPowertools } from '../../shared/log.ts';
import type { FlushDeps } from '../../shared/processing/flush.ts';
import type { OutboxPolicy } from '../../shared/processing/outbox.ts';
import type { ProcessorDeps } from '../../shared/processing/session-processing.ts';
import { DEFAULTS, ENV, METRIC_NAMES, optionalEnv, PROCESSOR_LEASE_MS, requireEnv } from '../../shared/config.ts';

/** The outbox policy of this deployment: the stack sets these from DEFAULTS (shared/config.ts). */
export function outboxPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): OutboxPolicy {
  const seconds = Number(optionalEnv('recordBudgetSeconds', String(DEFAULTS.recordBudgetSeconds), env));
  const records = Number(optionalEnv('outboxFlushRecords', String(DEFAULTS.outboxFlushRecords), env));
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`${ENV.recordBudgetSeconds} must be a number of seconds >= 0, got ${env[ENV.recordBudgetSeconds]}`);
  if (!Number.isInteger(records) || records < 1) throw new Error(`${ENV.outboxFlushRecords} must be a whole number >= 1, got ${env[ENV.outboxFlushRecords]}`);
  return { recordBudgetMs: seconds * 1000, flushRecords: records, sweepMs: DEFAULTS.outboxSweepSeconds * 1000, chatterPoolMs: DEFAULTS.chatterPoolSeconds * 1000 };
}

/** Longer than any Lambda that flushes (the processor and the flusher run at most 120 s). */
export const FLUSH_LEASE_MS = 5 * 60_000;

/**
 * The flusher's deps from the processor's own (same Salesforce clients, ledger, breaker, DLQ), or
 * undefined when this deployment has no outbox table.
 */
export function outboxFlushDeps(
  base: Omit<FlushDeps, 'outbox' | 'policy' | 'flushLeaseMs'>,
  env: NodeJS.ProcessEnv = process.env,
): FlushDeps | undefined {
  const table = env[ENV.outboxTable];
  if (!table) return undefined;
  return { ...base, outbox: dynamoOutboxStore(table), policy: outboxPolicyFromEnv(env), flushLeaseMs: FLUSH_LEASE_MS };
}

const secrets = cachedSecretReader();
/** Logged-in clients kept across invocations; each invocation passes its own retry deadline. */
let salesforceClients: ReturnType<typeof salesforceClientCache> | undefined;
/** Kept across invocations: it remembers what it recorded, so a warm container writes changes only. */
let health: ReturnType<typeof dynamoOrgHealth> | undefined;

/** What writing an org needs, in the processor and the flusher alike. */
export type OrgWriteWiring = Omit<ProcessorDeps, 'orgsForGroup' | 'requeue'>;

/**
 * The per-org write dependencies of this deployment, one wiring for the session processor and the
 * outbox flusher so both write an org under the same rules: the breaker and its Org Paused / Org
 * Resumed events and metric, login state, Sync History counters, describe and Lead caches.
 */
export function orgWriteDepsFromEnv(logger: Logger, metrics: Metrics, deadline: () => number): OrgWriteWiring {
  const clients = (salesforceClients ??= salesforceClientCache(secrets, optionalEnv('secretPrefix', DEFAULTS.secretPrefix)));
  health ??= dynamoOrgHealth(requireEnv('orgsTable'));
  /** The pipeline's own events are news for customers, not part of the work: a failure is logged, never retried. */
  const announce = (event: PipelineEvent) =>
    pipelineEventsFromEnv()
      .publish([event])
      .catch((error: Error) => logger.warn('could not publish a pipeline event', { detailType: event.detailType, error: error.message }));
  return {
    ledger: dynamoDedupeLedger(requireEnv('dedupeTable')),
    salesforceFor: (org) => clients(org, deadline),
    forgetSalesforce: (orgId) => clients.forget(orgId),
    deadLetter: sqsDeadLetters(requireEnv('eventsDlqUrl')),
    maxReceiveCount: Number(optionalEnv('maxReceiveCount', String(DEFAULTS.maxReceiveCount))),
    pauses: dynamoOrgPauses(requireEnv('orgsTable'), Date.now, {
      onResumed: (orgId, pause) => announce(orgResumed(orgId, pause.until, pause.reason, new Date())),
    }),
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
    // A run's final Glance_Sync_Run__c goes to its org with the batch or flush that settles its last events.
    runRecords: {
      history: dynamoSyncHistory(requireEnv('orgsTable')),
      runEffects: dynamoRunEffects(requireEnv('orgsTable')),
      getOrg: (orgId) => dynamoOrgRegistry(requireEnv('orgsTable')).getOrg(orgId),
    },
    describeCache: dynamoDescribeCache(requireEnv('dedupeTable')),
    knownLeads: dynamoKnownLeads(requireEnv('dedupeTable')),
    log: fromPowertools(logger),
  };
}
