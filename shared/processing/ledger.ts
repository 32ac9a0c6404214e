export type ClaimResult = 'claimed' | 'done' | 'busy';

/** How a version of a session looked when the pipeline took it: still going, or ended. */
export type SessionSeen = 'live' | 'ended';

export interface SessionLock {
  /** false while another writer holds it. */
  locked: boolean;
  /** When the session's newest applied event happened. */
  lastApplied: string | null;
  /**
   * Whether a version of the session the pipeline took was still live: `ended` is kept until a
   * lock of a live version turns it `live` for good (never back). A live version that locks only
   * after an ended one (two deliveries racing for the lock, a retried webhook) still reached us
   * live, so the Chatter decision cannot change with the order faults, retries and concurrent
   * batches take its versions in.
   */
  reachedLive: boolean;
}

/**
 * Idempotency records in the dedupe table. An event is claimed with a lease before it is
 * processed and marked done after; a crashed attempt's lease runs out, so the redelivery can
 * claim it again, while a finished event is never processed twice.
 */
export interface DedupeLedger {
  claimEvent(eventId: string, leaseMs: number): Promise<ClaimResult>;
  completeEvent(eventId: string): Promise<void>;
  releaseEvent(eventId: string): Promise<void>;
  /**
   * Claims a side effect that Salesforce cannot make idempotent (a Chatter post). `recovered` says
   * an earlier attempt claimed it and never finished: it may have made the effect before dying.
   * `leaseUntil` (epoch ms), when `busy`: when the holder's lease runs out and a retry may recover it.
   */
  claimEffect(key: string, leaseMs: number): Promise<{ result: ClaimResult; recovered: boolean; leaseUntil?: number }>;
  completeEffect(key: string, detail: string): Promise<void>;
  releaseEffect(key: string): Promise<void>;
  /**
   * Takes the session's writer lock for the lease and reads when its newest applied event happened,
   * so an older, late event cannot overwrite it: two Lambdas that both passed that check could
   * otherwise land the older write last. `locked: false` while another writer holds it.
   */
  lockSession(sessionId: string, leaseMs: number, seen?: SessionSeen): Promise<SessionLock>;
  /** Records the newest applied event (never moving back) and releases the writer lock. */
  markApplied(sessionId: string, occurredAt: string): Promise<void>;
  unlockSession(sessionId: string): Promise<void>;
}
