import { z } from 'zod';
import type { SessionEvent } from '../session.ts';

/*
 * The per-org outbox (issue 13). Salesforce counts calls, not records: an org's shares wait in
 * DynamoDB and are written together when about `flushRecords` have gathered or the oldest has
 * waited the record budget. Why it keeps exactly-once and ordering: docs/exactly-once.md, "The
 * outbox".
 */

/** One session's share for one org, waiting to be written. Only the newest version of a session is kept. */
export interface OutboxEntry {
  orgId: string;
  sessionId: string;
  event: SessionEvent;
  /** The event's `occurredAt`, ISO (the session's version: a put never replaces a newer one). */
  occurredAt: string;
  launchedHere: boolean;
  routeReason: string;
  /** The first version of the session the pipeline took was live (its Chatter post is due); absent: whether this one is. */
  reachedLive?: boolean;
  /** When the session's first version entered the outbox (ms); a newer version keeps it, so the budget is not reset. */
  enqueuedAt: number;
  /** Flushes of this version that failed for a passing reason. */
  attempts: number;
}

/** The org's outbox as a whole (ms timestamps). */
export interface OutboxState {
  /** About how many entries wait (exact unless a crash fell between an entry write and this count). */
  pending: number;
  /** When the org's outbox is next due for a flush; null when nothing waits. */
  dueAt: number | null;
}

/**
 * What a put did to each entry, in order: `new`, `replaced` (with the event that waited before,
 * now superseded) or `older` (the outbox holds a newer version: this one is superseded).
 */
export type OutboxPut = { status: 'new' } | { status: 'replaced'; replaced: SessionEvent | null } | { status: 'older' };

/** When outboxes are flushed; read from DEFAULTS (shared/config.ts) in the stack and the bench. */
export interface OutboxPolicy {
  recordBudgetMs: number;
  flushRecords: number;
  /** How often the sweep runs: it flushes the orgs due before the next sweep. Default 60 s. */
  sweepMs?: number;
  /** How long an org's Chatter posts gather before their batch call. Default 45 s. */
  chatterPoolMs?: number;
}

/**
 * The outbox table: OUTBOX#{orgId} holds the org's entries (S#{sessionId}) and its META item
 * (pending count, due time, flush lease). Every write is conditional so the rules below hold
 * whatever runs concurrently.
 */
export interface OutboxStore {
  /**
   * Adds or replaces each session's entry unless the outbox holds a newer version of it (equal
   * versions replace), keeping the first `enqueuedAt`; then counts the new ones and makes the org
   * due at the oldest entry's time + the budget. Returns the org's state after the put and what
   * happened to each entry (so a sync run is told of the events a newer version superseded).
   */
  put(orgId: string, entries: OutboxEntry[], recordBudgetMs: number): Promise<OutboxState & { puts: OutboxPut[] }>;
  /** Up to `limit` entries of the org, read consistently. */
  list(orgId: string, limit: number): Promise<OutboxEntry[]>;
  /** Removes the entries still at the flushed version (a newer version that arrived meanwhile stays); returns how many. */
  remove(orgId: string, flushed: Array<Pick<OutboxEntry, 'sessionId' | 'occurredAt'>>): Promise<number>;
  /** Counts a failed flush of the entry's version (no effect when a newer version replaced it). */
  countAttempt(orgId: string, entry: Pick<OutboxEntry, 'sessionId' | 'occurredAt' | 'attempts'>): Promise<void>;
  /**
   * After a flush: the org is due again at its oldest remaining entry + the budget, or at
   * `notBefore` if later (a back-off or a pause); with nothing left it is no longer due, unless an
   * entry arrived while this ran (then it stays due).
   */
  reschedule(orgId: string, recordBudgetMs: number, notBefore: number | null): Promise<OutboxState>;
  /**
   * One flusher per org: takes the org's flush lease until now + leaseMs (longer than any Lambda
   * runs, so a holder that lost it is dead). Returns a token to release it with, null when held elsewhere.
   */
  acquireLease(orgId: string, leaseMs: number): Promise<string | null>;
  releaseLease(orgId: string, token: string): Promise<void>;
  /** Orgs whose outbox is due at or before `now`, oldest first, at most `limit`. */
  dueOrgs(now: number, limit: number): Promise<string[]>;
  /**
   * The org's Chatter pool (posts waiting for their batch call, beside its outbox entries): adds
   * or replaces each session's post, then opens the pool. Returns true when this call opened it
   * (it was closed): the caller then schedules the pool's flush.
   */
  putChatter(orgId: string, entries: OutboxEntry[]): Promise<boolean>;
  /** Opens the pool again (posts wait that must be tried later); true when this call opened it. */
  openChatter(orgId: string): Promise<boolean>;
  /**
   * Closes the pool and returns up to `limit` of its posts: a post put from now on opens it
   * again, so it is never left without a flush scheduled.
   */
  takeChatter(orgId: string, limit: number): Promise<OutboxEntry[]>;
  /** Removes the pooled posts that were made (or are no longer due). */
  removeChatter(orgId: string, done: Array<Pick<OutboxEntry, 'sessionId'>>): Promise<void>;
}

/**
 * The message that flushes an org's Chatter pool, on the events queue with a delay (SQS
 * DelaySeconds): the pool's own timer, so its posts go out within the Chatter budget however
 * quiet the org is, and one batch call carries every post that gathered meanwhile.
 */
export const chatterFlushSchema = z.strictObject({ chatterFlush: z.strictObject({ orgId: z.string().min(15).max(18) }) });
export type ChatterFlushMessage = z.infer<typeof chatterFlushSchema>;

/** Whether the org's outbox should be flushed now: enough records, or the oldest has waited the budget. */
export function flushIsDue(state: OutboxState, now: number, policy: OutboxPolicy): boolean {
  if (state.pending >= policy.flushRecords) return true;
  return state.dueAt !== null && state.dueAt <= now;
}

/** The outbox applies only with a positive budget; 0 writes each batch at once. */
export const outboxEnabled = (policy: OutboxPolicy | undefined): policy is OutboxPolicy => !!policy && policy.recordBudgetMs > 0;

/** Back-off of an org's outbox after a flush failed for a passing reason (same curve as a split-off share). */
export function retryDelayMs(attempts: number): number {
  return Math.min(900, 30 * 2 ** Math.max(attempts, 1)) * 1000;
}

/** The policy's Chatter pool time (default 45 s) and sweep interval (default 60 s). */
export const chatterPoolMs = (policy: OutboxPolicy) => policy.chatterPoolMs ?? 45_000;
export const sweepMs = (policy: OutboxPolicy) => policy.sweepMs ?? 60_000;
