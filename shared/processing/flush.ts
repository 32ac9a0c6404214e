import type { Org } from '../org.ts';
import type { SessionEvent } from '../session.ts';
import type { DeadLetterReason, QueuedMessage } from '../dead-letter.ts';
import { breakerHolds, writeOrg, type OrgWriteDeps } from './org-writes.ts';
import { retryDelayMs, sweepMs, type OutboxEntry, type OutboxPolicy, type OutboxStore } from './outbox.ts';
import { postChatterAhead } from './org-batch.ts';
import { countChatterForRun } from './batch-state.ts';
import { withCachedShape } from './org-caches.ts';
import { deferralDelaySeconds } from './circuit-breaker.ts';
import { CHATTER_BATCH_LIMIT } from '../chatter.ts';
import { addRunEffects, attributeToRun, emptyTally, type EventFate, type Tally } from './batch-state.ts';
import { sendBatchAdminRecords } from './admin-records.ts';
import type { OrgHealth, ProcessorDeps } from './session-processing.ts';

export interface FlushDeps extends OrgWriteDeps, Pick<ProcessorDeps, 'leaseMs' | 'runEffects'> {
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
  /** Puts the org's Chatter pool flush on the events queue after a delay; absent: posts are made at once. */
  scheduleChatterFlush?(orgId: string, delaySeconds: number): Promise<void>;
}

export type FlushResult =
  | { kind: 'flushed'; written: number; deadLettered: number; waiting: number }
  | { kind: 'paused'; until: string }
  | { kind: 'busy' };

/**
 * Flushes one org's outbox through the same per-org code as the queue's direct write
 * (org-writes.ts writeOrg: the circuit breaker and its probe, setup and allowance pauses, login
 * state and last error, DUPLICATE_VALUE retried as an update, field fitting, Chatter once).
 * A paused org (the breaker holds it, or another invocation probes it) is not touched: its outbox
 * is due again when the pause ends. Otherwise, under the org's flush lease (one flusher per org,
 * so an older version of a session can never land after a newer one), writes the waiting entries
 * in chunks of `policy.flushRecords`, then:
 *  - written: the entry is removed, if still at the flushed version (a newer one waits for the next flush);
 *  - refused for good: its share is dead-lettered with the reason (onlyOrgId, as a split-off share) and removed;
 *  - failed for a passing reason: it stays, counted, and the org is due again after a back-off;
 *    the maxReceiveCount-th failure dead-letters it;
 *  - deferred (the org got paused, or a Chatter claim is held elsewhere): it stays, not counted,
 *    due when the pause ends; once it waited longer than the org's pauseHoldHours it is dead-lettered.
 * Each settled entry is told to the sync run that queued it (Sync History). Throws only if
 * DynamoDB fails; the lease then runs out and the next flush redoes the writes, which are
 * idempotent (upserts by external id, claimed Chatter posts).
 */
export async function flushOrg(orgId: string, deps: FlushDeps): Promise<FlushResult> {
  const org = await deps.getOrg(orgId);
  let health = org ? ((await deps.pauses.health([orgId])).get(orgId) ?? null) : null;
  const held = org ? await breakerHolds(org, health, deps, new Map()) : null;
  if (held) {
    const until = held.retryAt ?? deps.now() + retryDelayMs(1);
    await deps.outbox.reschedule(orgId, deps.policy.recordBudgetMs, until);
    return { kind: 'paused', until: new Date(until).toISOString() };
  }
  const token = await deps.outbox.acquireLease(orgId, deps.flushLeaseMs);
  if (!token) return { kind: 'busy' };
  const result = { kind: 'flushed' as const, written: 0, deadLettered: 0, waiting: 0 };
  const tally = emptyTally();
  let notBefore: number | null = null;
  try {
    const seen = new Set<string>();
    while (deps.now() < deps.deadline()) {
      const entries = (await deps.outbox.list(orgId, deps.policy.flushRecords + seen.size)).filter((e) => !seen.has(`${e.sessionId}@${e.occurredAt}`));
      if (entries.length === 0) break;
      const chunk = entries.slice(0, deps.policy.flushRecords);
      for (const e of chunk) seen.add(`${e.sessionId}@${e.occurredAt}`);
      const later = await settleChunk(org, orgId, chunk, health, deps, result, tally);
      // The breaker saw this org once; the next chunk is an ordinary write.
      health = null;
      if (later !== null) {
        notBefore = Math.max(notBefore ?? 0, later);
        // The org is paused or waits: the rest of its outbox waits with it.
        if (later > deps.now()) break;
      }
    }
  } finally {
    const state = await deps.outbox.reschedule(orgId, deps.policy.recordBudgetMs, notBefore);
    result.waiting = state.pending;
    await deps.outbox.releaseLease(orgId, token);
    await addRunEffects(tally, deps);
    // The admin's view goes with the flush: its Debug Mode logs and the runs it completed (admin-records.ts).
    await sendBatchAdminRecords(tally, deps);
  }
  return result;
}

/** Writes one chunk and settles each entry; returns when the org should be tried again, if anything waits. */
async function settleChunk(
  org: Org | null,
  orgId: string,
  chunk: OutboxEntry[],
  health: OrgHealth | null,
  deps: FlushDeps,
  result: { written: number; deadLettered: number },
  tally: Tally,
): Promise<number | null> {
  const deadLetter = async (e: OutboxEntry, reason: string) => {
    await deadLetterEntry(e, reason, deps);
    attributeEntry(tally, e, { kind: 'failed' });
    result.deadLettered++;
  };
  if (!org) {
    for (const e of chunk) await deadLetter(e, `org ${orgId} is no longer registered`);
    await deps.outbox.remove(orgId, chunk);
    return null;
  }
  const outcomes = await writeOrg(
    org,
    chunk.map((e) => ({ event: e.event, occurredAt: e.occurredAt, launchedHere: e.launchedHere, routeReason: e.routeReason, reachedLive: e.reachedLive })),
    health,
    deps,
    tally.adminLogs,
  );
  const done: OutboxEntry[] = [];
  let notBefore: number | null = null;
  for (const [i, e] of chunk.entries()) {
    const o = outcomes[i]!;
    if (o.kind === 'ok' || o.kind === 'skipped') {
      done.push(e);
      result.written++;
      attributeEntry(tally, e, o.kind === 'ok' && o.effects ? { kind: 'written', effects: o.effects } : { kind: 'unchanged' });
    } else if (o.kind === 'permanent') {
      await deadLetter(e, `Salesforce refused the session: org ${orgId}: ${o.reason}`);
      done.push(e);
    } else if (o.kind === 'deferred') {
      // Waiting is not a failed attempt; the org's pauseHoldHours bounds it, as on the queue.
      const hold = o.holdMs ?? org.settings.pauseHoldHours * 3600_000;
      if (deps.now() - e.enqueuedAt > hold) {
        await deadLetter(e, `org ${orgId} kept this session waiting since ${new Date(e.enqueuedAt).toISOString()}, longer than its pauseHoldHours (${Math.round(hold / 3600_000)} h): ${o.reason}`);
        done.push(e);
      } else notBefore = Math.max(notBefore ?? 0, o.retryAt ?? deps.now() + retryDelayMs(1));
    } else if (e.attempts + 1 >= deps.maxReceiveCount) {
      await deadLetter(e, `gave up after ${e.attempts + 1} flushes: org ${orgId}: ${o.reason}`);
      done.push(e);
    } else {
      await deps.outbox.countAttempt(orgId, e);
      notBefore = Math.max(notBefore ?? 0, deps.now() + retryDelayMs(e.attempts + 1));
      deps.log.warn('outbox entry will be flushed again', { orgId, sessionId: e.sessionId, reason: o.reason });
    }
  }
  await deps.outbox.remove(orgId, done);
  return notBefore;
}

/** Only the entry's own org's run counts it (a share for another org than the run's is not the run's). */
function attributeEntry(tally: Tally, e: OutboxEntry, fate: EventFate): void {
  if (e.event.syncRun?.orgId === e.orgId) attributeToRun(tally, e.event, fate);
}

/** A failed entry leaves as its org's share alone (as a split-off share does), so a redrive writes that org only. */
async function deadLetterEntry(e: OutboxEntry, reason: string, deps: FlushDeps): Promise<void> {
  const base = e.event.eventId.split('|org:')[0]!;
  // Counted as failed for its run now; a redrive is a new delivery, not the run's.
  const share: SessionEvent = { ...e.event, eventId: `${base}|org:${e.orgId}|0`, onlyOrgId: e.orgId, attempt: 0, waitingSince: undefined, syncRun: undefined };
  await deps.deadLetter(
    { messageId: `outbox:${e.orgId}:${e.sessionId}`, body: JSON.stringify(share), receiveCount: e.attempts + 1 },
    { reason, eventId: e.event.eventId, sessionId: e.sessionId, orgIds: [e.orgId] },
  );
}

/**
 * The sweep (every minute in the stack): flushes every org whose oldest entry will have waited
 * the record budget before the next sweep (so none waits longer than the budget), a few at a
 * time, until the deadline. Returns each org's result.
 */
export async function flushDueOrgs(deps: FlushDeps, concurrency = 4, limit = 500): Promise<Map<string, FlushResult>> {
  const due = await deps.outbox.dueOrgs(deps.now() + sweepMs(deps.policy), limit);
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

/**
 * Flushes an org's Chatter pool (its timer, a delayed queue message, fired): every post that
 * gathered goes in one batch call (500 a call), through the same relate-and-post-once steps as a
 * full org batch (org-batch.ts postChatterAhead). A paused org's pool waits for the pause to end;
 * posts that failed for a passing reason (or whose claim another attempt holds) stay pooled and
 * the pool is flushed again later. Sync History counts each post made for its run.
 */
export async function flushChatter(orgId: string, deps: FlushDeps, tally: Tally): Promise<{ posted: number; waiting: number }> {
  const org = await deps.getOrg(orgId);
  const again = async (delaySeconds: number) => {
    if (deps.scheduleChatterFlush && (await deps.outbox.openChatter(orgId))) await deps.scheduleChatterFlush(orgId, delaySeconds);
  };
  if (org) {
    const health = (await deps.pauses.health([orgId])).get(orgId) ?? null;
    const held = await breakerHolds(org, health, deps, new Map());
    if (held) {
      await again(deferralDelaySeconds(held.retryAt, deps.now()));
      return { posted: 0, waiting: -1 };
    }
  }
  const pooled = await deps.outbox.takeChatter(orgId, CHATTER_BATCH_LIMIT);
  if (pooled.length === 0) return { posted: 0, waiting: 0 };
  if (!org) {
    await deps.outbox.removeChatter(orgId, pooled);
    return { posted: 0, waiting: 0 };
  }
  const client = await deps.salesforceFor(org);
  const salesforce = deps.describeCache ? withCachedShape(client, org.orgId, deps.describeCache, deps.now) : client;
  const items = pooled.map((e) => ({ event: e.event, occurredAt: e.occurredAt, launchedHere: e.launchedHere, routeReason: e.routeReason, reachedLive: e.reachedLive }));
  const { posted, waiting, retryAt } = await postChatterAhead(org, items, salesforce, { ledger: deps.ledger, log: deps.log, chatterLeaseMs: deps.chatterLeaseMs });
  for (const item of posted) if (item.event.syncRun?.orgId === orgId) countChatterForRun(tally, item.event);
  const stay = new Set(waiting.map((item) => item.event.session.id));
  await deps.outbox.removeChatter(orgId, pooled.filter((e) => !stay.has(e.sessionId)));
  if (stay.size) await again(deferralDelaySeconds(retryAt ?? deps.now() + retryDelayMs(1), deps.now()));
  // More than one batch gathered: the rest goes at once.
  else if (pooled.length === CHATTER_BATCH_LIMIT) await again(0);
  return { posted: posted.length, waiting: stay.size };
}
