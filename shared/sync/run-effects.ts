/**
 * What the events a sync run queued did in that run's org: the part of Sync History that says
 * what reached Salesforce. The processor adds to it as events settle; Sync History reads it.
 * An event counts once, when its fate is final: written (its Glance Session record created or
 * updated, Leads created, a Chatter post), unchanged (a duplicate, stale, superseded by a newer
 * event of its session, or not recorded in that org by its settings) or failed (dead-lettered);
 * one retried or deferred counts when it settles.
 */
export interface RunEffects {
  processed: number;
  recordsCreated: number;
  recordsUpdated: number;
  leadsCreated: number;
  chatterPosts: number;
  failed: number;
  unchanged: number;
}

export const RUN_EFFECT_NAMES = ['processed', 'recordsCreated', 'recordsUpdated', 'leadsCreated', 'chatterPosts', 'failed', 'unchanged'] as const satisfies ReadonlyArray<keyof RunEffects>;

export const noRunEffects = (): RunEffects => ({ processed: 0, recordsCreated: 0, recordsUpdated: 0, leadsCreated: 0, chatterPosts: 0, failed: 0, unchanged: 0 });

/** Where the processor adds what a batch did for each run (one write per run per batch). */
export interface RunEffectsWriter {
  add(orgId: string, runId: string, effects: RunEffects): Promise<void>;
}

/** Sync History's view of them; a run nothing was processed for yet is absent from the map. */
export interface RunEffectsReader {
  read(orgId: string, runIds: string[]): Promise<Map<string, RunEffects>>;
}

/** Where a run stands: pulled and queued is not done; it is complete once every queued event has settled. */
export type RunProgress = 'queued' | 'running' | 'processing' | 'complete' | 'failed' | 'skipped';

/**
 * A finished run is complete when the processor has settled as many of its events as it queued
 * (counts can run one over after a crash between the count and the event's ledger mark).
 */
export function runProgress(run: { status: string; counts: { queued: number } }, effects: RunEffects | undefined): RunProgress {
  if (run.status === 'queued' || run.status === 'running' || run.status === 'skipped') return run.status;
  const settled = (effects?.processed ?? 0) >= run.counts.queued;
  if (!settled) return 'processing';
  return run.status === 'failed' ? 'failed' : 'complete';
}
