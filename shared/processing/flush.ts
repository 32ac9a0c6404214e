import type { Org } from '../org.ts';
import type { SessionEvent } from '../session.ts';
import type { DeadLetterReason, QueuedMessage } from '../dead-letter.ts';
import { writeOrg, type OrgWriteDeps } from './org-writes.ts';
import { retryDelayMs, type OutboxEntry, type OutboxPolicy, type OutboxStore } from './outbox.ts';
import type { OrgPause } from './session-processing.ts';

export interface FlushDeps extends OrgWriteDeps {
  outbox: OutboxStore;
  policy: OutboxPolicy;
  getOrg(orgId: string): Promise<Org | null>;
  deadLetter(message: QueuedMessage, reason: DeadLetterReason): Promise<void>;
  /** A version whose flush failed this many times for a passing reason is dead-lettered. */
  maxReceiveCount: number;
  /** The flush lease: longer than any Lambda that flushes runs. */
  flushLeaseMs: number;
  /** Stop starting new chunks after this instant (the Lambda's remaining time). */
  deadline(): number;
}

export type FlushResult =
  | { kind: 'flushed'; written: number; deadLettered: number; waiting: number }
  | { kind: 'paused'; until: string }
  | { kind: 'busy' };

/**
 * Whether an org may be written now. The one place the flusher asks: the org pause of the API
 * allowance today; a per-org circuit breaker plugs in behind the same OrgPauses port.
 */
export async function orgPausedNow(orgId: string, deps: Pick<OrgWriteDeps, 'pauses'>): Promise<OrgPause | null> {
  return (await deps.pauses.pausedOrgs([orgId])).get(orgId) ?? null;
}

/**
 * Flushes one org's outbox: under the org's flush lease (one flusher per org, so an older version
 * of a session can never land after a newer one), writes the waiting entries in chunks of
 * `policy.flushRecords` with the same rules as a direct write (org-batch.ts), then:
 *  - written: the entry is removed, if still at the flushed version (a newer one waits for the next flush);
 *  - refused for good: its share is dead-lettered with the reason (onlyOrgId, as a split-off share) and removed;
 *  - failed for a passing reason: it stays, counted, and the org is due again after a back-off;
 *    the maxReceiveCount-th failure dead-letters it;
 *  - deferred (the org got paused): it stays, and the org is due when the pause ends.
 * A paused org's outbox is not touched: it simply waits. Throws only if DynamoDB fails; the
 * lease then runs out and the next flush redoes the writes, which are idempotent (upserts by
 * external id, claimed Chatter posts).
 */
export async function flushOrg(orgId: string, deps: FlushDeps): Promise<FlushResult> {
  const pause = await orgPausedNow(orgId, deps);
  if (pause) {
    await deps.outbox.reschedule(orgId, deps.policy.recordBudgetMs, Date.parse(pause.until));
    return { kind: 'paused', until: pause.until };
  }
  const token = await deps.outbox.acquireLease(orgId, deps.flushLeaseMs);
  if (!token) return { kind: 'busy' };
  const result = { kind: 'flushed' as const, written: 0, deadLettered: 0, waiting: 0 };
  let notBefore: number | null = null;
  try {
    const org = await deps.getOrg(orgId);
    const seen = new Set<string>();
    while (deps.now() < deps.deadline()) {
      const entries = (await deps.outbox.list(orgId, deps.policy.flushRecords + seen.size)).filter((e) => !seen.has(`${e.sessionId}@${e.occurredAt}`));
      if (entries.length === 0) break;
      const chunk = entries.slice(0, deps.policy.flushRecords);
      for (const e of chunk) seen.add(`${e.sessionId}@${e.occurredAt}`);
      const later = await settleChunk(org, orgId, chunk, deps, result);
      if (later !== null) notBefore = Math.max(notBefore ?? 0, later);
    }
  } finally {
    const state = await deps.outbox.reschedule(orgId, deps.policy.recordBudgetMs, notBefore);
    result.waiting = state.pending;
    await deps.outbox.releaseLease(orgId, token);
  }
  return result;
}

/** Writes one chunk and settles each entry; returns when the org should be tried again, if anything waits. */
async function settleChunk(
  org: Org | null,
  orgId: string,
  chunk: OutboxEntry[],
  deps: FlushDeps,
  result: { written: number; deadLettered: number },
): Promise<number | null> {
  if (!org) {
    for (const e of chunk) await deadLetterEntry(e, `org ${orgId} is no longer registered`, deps);
    result.deadLettered += await deps.outbox.remove(orgId, chunk);
    return null;
  }
  const outcomes = await writeOrg(
    org,
    chunk.map((e) => ({ event: e.event, occurredAt: e.occurredAt, launchedHere: e.launchedHere, routeReason: e.routeReason })),
    deps,
  );
  const done: OutboxEntry[] = [];
  let notBefore: number | null = null;
  for (const [i, e] of chunk.entries()) {
    const o = outcomes[i]!;
    if (o.kind === 'ok' || o.kind === 'skipped') {
      done.push(e);
      result.written++;
    } else if (o.kind === 'permanent') {
      await deadLetterEntry(e, `Salesforce refused the session: org ${orgId}: ${o.reason}`, deps);
      done.push(e);
      result.deadLettered++;
    } else if (o.kind === 'deferred') {
      const pause = await orgPausedNow(orgId, deps);
      notBefore = Math.max(notBefore ?? 0, pause ? Date.parse(pause.until) : deps.now() + retryDelayMs(1));
    } else if (e.attempts + 1 >= deps.maxReceiveCount) {
      await deadLetterEntry(e, `gave up after ${e.attempts + 1} flushes: org ${orgId}: ${o.reason}`, deps);
      done.push(e);
      result.deadLettered++;
    } else {
      await deps.outbox.countAttempt(orgId, e);
      notBefore = Math.max(notBefore ?? 0, deps.now() + retryDelayMs(e.attempts + 1));
      deps.log.warn('outbox entry will be flushed again', { orgId, sessionId: e.sessionId, reason: o.reason });
    }
  }
  await deps.outbox.remove(orgId, done);
  return notBefore;
}

/** A failed entry leaves as its org's share alone (as a split-off share does), so a redrive writes that org only. */
async function deadLetterEntry(e: OutboxEntry, reason: string, deps: FlushDeps): Promise<void> {
  const base = e.event.eventId.split('|org:')[0]!;
  const share: SessionEvent = { ...e.event, eventId: `${base}|org:${e.orgId}|0`, onlyOrgId: e.orgId, attempt: 0, waitingSince: undefined };
  await deps.deadLetter(
    { messageId: `outbox:${e.orgId}:${e.sessionId}`, body: JSON.stringify(share), receiveCount: e.attempts + 1 },
    { reason, eventId: e.event.eventId, sessionId: e.sessionId, orgIds: [e.orgId] },
  );
}

/**
 * The sweep (every minute in the stack): flushes every org whose oldest entry has waited the
 * record budget, a few at a time, until the deadline. Returns each org's result.
 */
export async function flushDueOrgs(deps: FlushDeps, concurrency = 4, limit = 500): Promise<Map<string, FlushResult>> {
  const due = await deps.outbox.dueOrgs(deps.now(), limit);
  const results = new Map<string, FlushResult>();
  let next = 0;
  const worker = async () => {
    while (next < due.length && deps.now() < deps.deadline()) {
      const orgId = due[next++]!;
      try {
        results.set(orgId, await flushOrg(orgId, deps));
      } catch (error) {
        deps.log.error('outbox flush failed', { orgId, error: (error as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
  return results;
}
