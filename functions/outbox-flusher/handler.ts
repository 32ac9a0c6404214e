import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { flushDueOrgs, flushOrg, type FlushDeps, type FlushResult } from '../../shared/processing/flush.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { ENV, METRICS_NAMESPACE, PROCESSOR_REPORT_MARGIN_MS, requireEnv } from '../../shared/config.ts';
import { orgWriteDepsFromEnv, outboxFlushDeps } from './wiring.ts';

const logger = new Logger({ serviceName: 'outbox-flusher' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'outbox-flusher' });
/** `{}` from the one-minute schedule: flush every org whose outbox is due. `{ orgId }`: flush that org now (admin). */
export interface FlushRequest {
  orgId?: string;
}

/** The flusher's dependencies from this deployment's environment (exported for tests that inject crashes). */
export function flusherDeps(deadline: () => number): FlushDeps {
  const registry = dynamoOrgRegistry(requireEnv('orgsTable'));
  const deps = outboxFlushDeps({ ...orgWriteDepsFromEnv(logger, metrics, deadline), getOrg: (orgId) => registry.getOrg(orgId), deadline });
  if (!deps) throw new Error(`environment variable ${ENV.outboxTable} is not set`);
  return deps;
}

export async function flushOutboxes(request: FlushRequest = {}, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<Record<string, FlushResult>> {
  // Stop starting new chunks early enough to settle the last one and release the lease.
  const deps = flusherDeps(() => Date.now() + (context ? context.getRemainingTimeInMillis() - 3 * PROCESSOR_REPORT_MARGIN_MS : 30_000));
  const results = request.orgId ? new Map([[request.orgId, await flushOrg(request.orgId, deps)]]) : await flushDueOrgs(deps);
  let written = 0;
  for (const r of results.values()) if (r.kind === 'flushed') written += r.written;
  if (written) metrics.addMetric('outbox_records_written', MetricUnit.Count, written);
  logger.info('outboxes flushed', { orgs: results.size, written });
  return Object.fromEntries(results);
}

export const handler = middy(flushOutboxes).use(injectLambdaContext(logger)).use(logMetrics(metrics));
