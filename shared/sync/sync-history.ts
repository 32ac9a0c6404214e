import type { SyncCursor } from './sync-cursor.ts';

export type SyncTrigger = 'schedule' | 'sync_now' | 'backfill';
export type SyncRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface SyncRun {
  orgId: string;
  runId: string;
  trigger: SyncTrigger;
  status: SyncRunStatus;
  requestedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  counts: { fetched: number; queued: number; alreadyKnown: number; failed: number };
  error: string | null;
  watermarkBefore: string | null;
  watermarkAfter: string | null;
}

export const SYNC_TRIGGERS = ['schedule', 'sync_now', 'backfill'] as const satisfies readonly SyncTrigger[];
export const FINISHED_STATUSES: readonly SyncRunStatus[] = ['succeeded', 'failed', 'skipped'];

export function isFinished(run: SyncRun): boolean {
  return FINISHED_STATUSES.includes(run.status);
}

export function queuedRun(orgId: string, runId: string, trigger: SyncTrigger, requestedAt: Date): SyncRun {
  return {
    orgId,
    runId,
    trigger,
    status: 'queued',
    requestedAt: requestedAt.toISOString(),
    startedAt: null,
    endedAt: null,
    counts: { fetched: 0, queued: 0, alreadyKnown: 0, failed: 0 },
    error: null,
    watermarkBefore: null,
    watermarkAfter: null,
  };
}

/** Who runs a sync for an org right now, until when. */
export interface LeaseHolder {
  runId: string;
  trigger: SyncTrigger;
  acquiredAt: string;
  leaseUntil: string;
}

export type LeaseResult = { acquired: true; previous: LeaseHolder | null } | { acquired: false; holder: LeaseHolder };

export interface SyncHistory {
  /** Stores a new run; when one with that key exists (a redelivered request) returns it unchanged. */
  createRun(run: SyncRun): Promise<SyncRun>;
  getRun(orgId: string, runId: string): Promise<SyncRun | null>;
  saveRun(run: SyncRun): Promise<void>;
  /** Newest first. */
  listRuns(orgId: string, limit?: number): Promise<SyncRun[]>;
  /**
   * Takes the org's lease unless another holder's is still valid. `previous` is an expired
   * holder that was displaced: a run that stopped without finishing.
   */
  acquireLease(orgId: string, holder: { runId: string; trigger: SyncTrigger }, leaseMs: number, now: Date): Promise<LeaseResult>;
  releaseLease(orgId: string, runId: string): Promise<void>;
  /** Who holds the org's lease now, if anyone (an expired lease counts as none). */
  currentLease(orgId: string, now: Date): Promise<LeaseHolder | null>;
  readCursor(orgId: string): Promise<SyncCursor | null>;
  /** The run's counts and the cursor they reached, in one transaction: they never disagree. */
  saveProgress(run: SyncRun, cursor: SyncCursor): Promise<void>;
}
