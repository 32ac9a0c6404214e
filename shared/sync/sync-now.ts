import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AdminError } from '../admin-error.ts';
import type { OrgRegistry } from '../org-admin-ports.ts';
import { salesforceOrgIdSchema } from '../org.ts';
import { nextScheduledSync } from '../schedule.ts';
import { queuedRun, type SyncHistory, type SyncTrigger } from './sync-history.ts';
import type { SyncRequest } from './sync-request.ts';

export { syncRequestSchema, type SyncRequest } from './sync-request.ts';

const isoInstant = z.iso.datetime({ offset: true });

export interface SyncNowDeps {
  registry: OrgRegistry;
  history: SyncHistory;
  enqueueSync(message: SyncRequest): Promise<void>;
  now(): Date;
}

/**
 * Sync Now: records the run as queued, so Sync History shows it at once, and hands it to the
 * sync queue. Whether it runs or is skipped (another run holds the org) is decided there.
 * `from` makes it a backfill, reaching back before the watermark.
 */
export async function requestSyncNow(
  deps: SyncNowDeps,
  givenOrgId: string,
  options: { trigger?: SyncTrigger; from?: string } = {},
): Promise<{ runId: string; status: 'queued'; nextScheduledSync: string | null }> {
  const parsedId = salesforceOrgIdSchema.safeParse(givenOrgId);
  if (!parsedId.success) {
    throw new AdminError(`"${givenOrgId}" is not a Salesforce org id (15 or 18 characters starting 00D)`, 'invalid');
  }
  const orgId = parsedId.data;
  const now = deps.now();
  const trigger = options.trigger ?? (options.from ? 'backfill' : 'sync_now');
  if (options.from !== undefined) {
    if (trigger !== 'backfill') throw new AdminError(`from is for a backfill, not a ${trigger} run`, 'invalid');
    if (!isoInstant.safeParse(options.from).success) {
      throw new AdminError(`from "${options.from}" must be an ISO-8601 instant with its zone, e.g. 2026-11-01T00:00:00Z`, 'invalid');
    }
    if (Date.parse(options.from) > now.getTime()) throw new AdminError(`from ${options.from} is in the future`, 'invalid');
  }
  const org = await deps.registry.getOrg(orgId);
  if (!org) throw new AdminError(`org ${orgId} is not registered`, 'not_found');

  const run = queuedRun(orgId, randomUUID(), trigger, now);
  await deps.history.createRun(run);
  try {
    await deps.enqueueSync({ orgId, runId: run.runId, trigger, ...(options.from ? { from: new Date(options.from).toISOString() } : {}) });
  } catch (error) {
    await deps.history.saveRun({ ...run, status: 'failed', endedAt: deps.now().toISOString(), error: `could not queue the run: ${(error as Error).message}` });
    throw error;
  }
  const next = nextScheduledSync(org.settings.syncFrequency, new Date(org.installedAt), now);
  return { runId: run.runId, status: 'queued', nextScheduledSync: next ? next.toISOString() : null };
}
