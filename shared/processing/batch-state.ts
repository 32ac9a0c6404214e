import type { QueuedMessage } from '../dead-letter.ts';
import type { SessionEvent } from '../session.ts';

/*
 * What the phases of processSessionBatch hand each other. Internal to shared/processing/.
 */

/** An event read from its message, `occurredAt` normalised to ISO form so strings compare in time order. */
export interface Claimed {
  message: QueuedMessage;
  event: SessionEvent;
  occurredAt: string;
}

/** What happened to one session in one org paired with its group. */
export type OrgOutcome = { orgId: string } & (
  | { kind: 'ok' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'permanent' | 'transient' | 'deferred'; reason: string }
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
}

export interface Tally {
  /** Message ids handed back to SQS. */
  retry: string[];
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
  counts: { applied: 0, duplicate: 0, stale: 0, busy: 0, deadLettered: 0, retried: 0, deferred: 0, skippedOrgs: 0 },
});
