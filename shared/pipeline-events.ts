import type { SyncRun } from './sync/sync-history.ts';

/**
 * The pipeline's own events, published on its EventBridge bus so customers can route them (a rule
 * on `source` and `detail-type`, e.g. to a Slack relay or a ticket). The `detail` shapes below are
 * a contract: fields are only ever added. Times are ISO-8601 UTC; org ids are the 18-character form.
 */
export const PIPELINE_EVENT_SOURCE = 'glance-salesforce-sync';

export const PIPELINE_DETAIL_TYPES = {
  syncRunCompleted: 'Sync Run Completed',
  orgPaused: 'Org Paused',
  orgResumed: 'Org Resumed',
} as const;

/** A sync run finished (succeeded, failed or skipped): what Sync History records for it. */
export interface SyncRunCompletedDetail {
  orgId: string;
  runId: string;
  trigger: SyncRun['trigger'];
  status: SyncRun['status'];
  requestedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** Sessions fetched from Glance, queued for processing, already known, failed to queue. */
  counts: SyncRun['counts'];
  error: string | null;
}

/** The org's sessions wait on the queue until `until`: its Salesforce API allowance ran low. */
export interface OrgPausedDetail {
  orgId: string;
  until: string;
  reason: string;
}

/** The org's pause ended; its waiting sessions go on. */
export interface OrgResumedDetail {
  orgId: string;
  /** When the pause was due to end, and why it had begun. */
  pausedUntil: string;
  reason: string;
  resumedAt: string;
}

export type PipelineEvent =
  | { detailType: typeof PIPELINE_DETAIL_TYPES.syncRunCompleted; detail: SyncRunCompletedDetail }
  | { detailType: typeof PIPELINE_DETAIL_TYPES.orgPaused; detail: OrgPausedDetail }
  | { detailType: typeof PIPELINE_DETAIL_TYPES.orgResumed; detail: OrgResumedDetail };

/** Publishes the pipeline's events; a failure throws (callers decide whether it may cost the work). */
export interface PipelineEvents {
  publish(events: PipelineEvent[]): Promise<void>;
}

export function syncRunCompleted(run: SyncRun): PipelineEvent {
  const { orgId, runId, trigger, status, requestedAt, startedAt, endedAt, counts, error } = run;
  return { detailType: PIPELINE_DETAIL_TYPES.syncRunCompleted, detail: { orgId, runId, trigger, status, requestedAt, startedAt, endedAt, counts, error } };
}

export const orgPaused = (orgId: string, until: string, reason: string): PipelineEvent => ({
  detailType: PIPELINE_DETAIL_TYPES.orgPaused,
  detail: { orgId, until, reason },
});

export const orgResumed = (orgId: string, pausedUntil: string, reason: string, resumedAt: Date): PipelineEvent => ({
  detailType: PIPELINE_DETAIL_TYPES.orgResumed,
  detail: { orgId, pausedUntil, reason, resumedAt: resumedAt.toISOString() },
});
