import type { QueuedMessage } from '../dead-letter.ts';
import type { SessionEvent } from '../session.ts';
import { noRunEffects, type RunEffects, type RunEffectsWriter } from '../sync/run-effects.ts';
import type { Log } from '../log.ts';
import { noAdminRecords, type AdminRecordsOutcome, type GatheredLogs } from './admin-records.ts';

/*
 * What the phases of processSessionBatch hand each other. Internal to shared/processing/.
 */

/** An event read from its message, `occurredAt` normalised to ISO form so strings compare in time order. */
export interface Claimed {
  message: QueuedMessage;
  event: SessionEvent;
  occurredAt: string;
}

/** What a written session did in an org: its record created or updated, Leads made, a Chatter post. */
export interface WriteEffects {
  record: 'created' | 'updated';
  leadsCreated: number;
  chatterPosted: boolean;
}

/** What happened to one session in one org paired with its group. */
export type OrgOutcome = { orgId: string } & (
  /** `queued`: put in the org's outbox; what the write did is known, and told to its sync run, when the outbox is flushed. */
  | { kind: 'ok'; effects?: WriteEffects; queued?: boolean }
  | { kind: 'skipped'; reason: string }
  | { kind: 'permanent' | 'transient'; reason: string }
  /**
   * Waits without counting as a failed attempt: the org is paused, or a Chatter claim is held by
   * another attempt. `retryAt` (epoch ms): when it is worth trying again; `holdMs`: how long the
   * org's shares may wait in all before they are dead-lettered (its pauseHoldHours).
   */
  | { kind: 'deferred'; reason: string; retryAt?: number; holdMs?: number }
);

export type FailedOutcome = Extract<OrgOutcome, { kind: 'permanent' | 'transient' | 'deferred' }>;

/**
 * One session of the batch: only its newest event is written; the other current events of the
 * same session share that event's fate (acknowledged, retried or split off with it).
 */
export interface SessionWrite {
  newest: Claimed;
  /** Every current event of the session in this batch, `newest` included. */
  events: Claimed[];
  /** Orgs to write (events split off for named orgs); null: every org paired with the group. */
  onlyOrgs: Set<string> | null;
  /** Filled by the routing and writing phases. */
  outcomes: OrgOutcome[];
  /** The first version of the session the pipeline took was live (decides its Chatter post). */
  reachedLive: boolean;
  /**
   * The event as written: the newest, carrying the session merged with the batch's other current
   * versions, its source saying what it knows (`webhook` when a webhook contributed) and
   * `firstVersion` when no earlier version was applied (session-sources.ts); absent: the newest as is.
   */
  version?: SessionEvent;
}

export interface Tally {
  /** Message ids handed back to SQS. */
  retry: string[];
  /** By `${orgId} ${runId}`: what this batch's events did for the sync runs that queued them. */
  runs: Map<string, { orgId: string; runId: string; effects: RunEffects }>;
  /** Glance_Sync_Run__c and Glance_Log__c records this batch wrote to orgs, or that were refused (best effort). */
  adminRecords: AdminRecordsOutcome;
  /** Debug Mode traces of the orgs this batch wrote, sent to each org as Glance_Log__c when the batch ends. */
  adminLogs: GatheredLogs;
  counts: {
    applied: number;
    duplicate: number;
    stale: number;
    busy: number;
    deadLettered: number;
    retried: number;
    deferred: number;
    skippedOrgs: number;
  };
}

export const emptyTally = (): Tally => ({
  retry: [],
  runs: new Map(),
  adminRecords: noAdminRecords(),
  adminLogs: new Map(),
  counts: { applied: 0, duplicate: 0, stale: 0, busy: 0, deadLettered: 0, retried: 0, deferred: 0, skippedOrgs: 0 },
});

/** The fate of one event, for the sync run that queued it (nothing when no run did). */
export type EventFate = { kind: 'written'; effects: WriteEffects } | { kind: 'unchanged' } | { kind: 'failed' };

/** A Chatter post made ahead of its session's record (the outbox's Chatter path): counted for the run now; the event itself counts when flushed. */
export function countChatterForRun(tally: Tally, event: SessionEvent): void {
  const run = event.syncRun;
  if (!run) return;
  const key = `${run.orgId} ${run.runId}`;
  const entry = tally.runs.get(key) ?? { orgId: run.orgId, runId: run.runId, effects: noRunEffects() };
  entry.effects.chatterPosts++;
  tally.runs.set(key, entry);
}

export function attributeToRun(tally: Tally, event: SessionEvent, fate: EventFate): void {
  const run = event.syncRun;
  if (!run) return;
  const key = `${run.orgId} ${run.runId}`;
  const entry = tally.runs.get(key) ?? { orgId: run.orgId, runId: run.runId, effects: noRunEffects() };
  const e = entry.effects;
  e.processed++;
  if (fate.kind === 'failed') e.failed++;
  else if (fate.kind === 'unchanged') e.unchanged++;
  else {
    if (fate.effects.record === 'created') e.recordsCreated++;
    else e.recordsUpdated++;
    e.leadsCreated += fate.effects.leadsCreated;
    if (fate.effects.chatterPosted) e.chatterPosts++;
  }
  tally.runs.set(key, entry);
}

/** Adds what a batch (or an outbox flush) did to each sync run. Sync History is for the admin's eyes: failing to count never fails the batch. */
export async function addRunEffects(tally: Tally, deps: { runEffects?: RunEffectsWriter; log: Log }): Promise<void> {
  if (!deps.runEffects) return;
  for (const { orgId, runId, effects } of tally.runs.values()) {
    await deps.runEffects.add(orgId, runId, effects).catch((error: Error) => deps.log.warn('could not count sync run outcomes', { orgId, runId, error: error.message }));
  }
}
