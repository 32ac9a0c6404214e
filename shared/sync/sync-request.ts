import { z } from 'zod';
import { salesforceOrgIdSchema } from '../org.ts';
import { SYNC_TRIGGERS, type SyncTrigger } from './sync-history.ts';

/**
 * A message on the sync queue. Sync Now sends a run id it has already recorded as queued;
 * the org's EventBridge Scheduler schedules send `{orgId, trigger: 'schedule'}` and the run is recorded on arrival.
 */
export type SyncRequest = { orgId: string; runId?: string; trigger: SyncTrigger; from?: string };

export const syncRequestSchema = z.strictObject({
  orgId: salesforceOrgIdSchema,
  runId: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'a run id: 1-100 of A-Z a-z 0-9 _ . : -').optional(),
  trigger: z.enum(SYNC_TRIGGERS),
  from: z.iso.datetime({ offset: true }).optional(),
}) satisfies z.ZodType<SyncRequest>;
