import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { AdminError, type AdminErrorCode } from '../../shared/admin-error.ts';
import { requestSyncNow } from '../../shared/sync/sync-now.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { sqsSyncQueue } from '../../shared/adapters/sync-queue.ts';
import { describeIssues } from '../../shared/session.ts';
import { requireEnv } from '../../shared/config.ts';

const logger = new Logger({ serviceName: 'sync-now' });

const syncNowInputSchema = z.strictObject({
  orgId: z.string().min(1).max(18),
  trigger: z.enum(['sync_now', 'backfill']).optional(),
  from: z.string().max(40).optional(),
});

export type SyncNowAnswer = { runId: string; status: 'queued'; nextScheduledSync: string | null } | { error: string; code: AdminErrorCode };

/** Invoked directly by an admin (or the CLI) with `{ orgId }`; answers at once, the run follows on the sync queue. */
export async function syncNow(event: unknown): Promise<SyncNowAnswer> {
  const input = syncNowInputSchema.safeParse(event);
  if (!input.success) return { error: `invalid Sync Now request: ${describeIssues(input.error)}`, code: 'invalid' };
  const table = requireEnv('orgsTable');
  const queue = sqsSyncQueue(requireEnv('syncQueueUrl'));
  try {
    const answer = await requestSyncNow(
      { registry: dynamoOrgRegistry(table), history: dynamoSyncHistory(table), enqueueSync: (message) => queue.send(message), now: () => new Date() },
      input.data.orgId,
      { ...(input.data.trigger ? { trigger: input.data.trigger } : {}), ...(input.data.from ? { from: input.data.from } : {}) },
    );
    logger.info('sync run queued', { orgId: input.data.orgId, runId: answer.runId });
    return answer;
  } catch (error) {
    if (!(error instanceof AdminError)) throw error;
    logger.warn('sync now refused', { orgId: input.data.orgId, error: error.message });
    return { error: error.message, code: error.code };
  }
}

export const handler = middy(syncNow).use(injectLambdaContext(logger));
