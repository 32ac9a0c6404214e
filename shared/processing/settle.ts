import type { SessionEvent } from '../session.ts';
import { backoffDelay, type Backoff } from '../retry.ts';
import { attributeToRun, type Claimed, type FailedOutcome, type SessionWrite, type Tally } from './batch-state.ts';
import type { ProcessorDeps } from './session-processing.ts';

import { PAUSE_HOLD_HOURS } from '../org.ts';
import { deferralDelaySeconds } from './circuit-breaker.ts';

/** A waiting share whose org gave no hold of its own (pauseHoldHours) waits this long before it is dead-lettered. */
const DEFAULT_HOLD_MS = PAUSE_HOLD_HOURS.default * 3600_000;
/** One org's share retried on its own: 60 s, 120 s, 240 s, … up to SQS's longest message delay (15 min). */
const FOLLOW_UP_BACKOFF: Backoff = { baseDelayMs: 30_000, maxDelayMs: 900_000, jitter: 'none' };

const isFailed = (o: SessionWrite['outcomes'][number]): o is FailedOutcome =>
  o.kind === 'permanent' || o.kind === 'transient' || o.kind === 'deferred';
const describeOutcomes = (list: FailedOutcome[]) => list.map((o) => `org ${o.orgId}: ${o.reason}`).join('; ');

/**
 * Decides each session's fate from its orgs' outcomes: written everywhere it should be (done);
 * failed everywhere for a passing reason (the messages go back to SQS as they are); or partly
 * written, when each failed org gets a follow-up of its own so the orgs that took the session are
 * not written again. Removes from `held` the sessions whose lock it released.
 */
export async function settleSessions(sessions: SessionWrite[], held: Set<string>, deps: ProcessorDeps, tally: Tally): Promise<void> {
  // Sessions are settled together: their ledger writes are independent, and one at a time they
  // were most of a batch's DynamoDB round trips.
  await Promise.all(
    sessions.map(async (s) => {
      const c = s.newest;
      const failed = s.outcomes.filter(isFailed);
      if (failed.length === 0) {
        await markDone(s, held, deps);
        tally.counts.applied++;
        attributeSession(s, tally, null);
        return;
      }
      const nothingElseHappened = failed.length === s.outcomes.length || s.outcomes.every((o) => o.kind === 'transient' || o.kind === 'skipped');
      if (nothingElseHappened && failed.every((o) => o.kind === 'transient') && c.message.receiveCount < deps.maxReceiveCount) {
        for (const e of s.events) tally.retry.push(e.message.messageId);
        await Promise.all(s.events.map((e) => deps.ledger.releaseEvent(e.event.eventId)));
        tally.counts.retried++;
        deps.log.warn('session will be retried', { eventId: c.event.eventId, sessionId: c.event.session.id, failures: describeOutcomes(failed) });
        return;
      }
      const splits = new Map<string, 'dead-lettered' | 'retried' | 'deferred'>();
      const share = shareOfVersion(s);
      const results = await Promise.all(failed.map((o) => followUp(share, o, deps)));
      failed.forEach((o, i) => {
        const split = results[i]!;
        splits.set(o.orgId, split);
        if (split === 'dead-lettered') tally.counts.deadLettered++;
        else if (split === 'deferred') tally.counts.deferred++;
        else tally.counts.retried++;
      });
      // The split-off shares carry this version on; without the mark an older event arriving now
      // would overwrite the orgs that already took this one.
      await markDone(s, held, deps);
      attributeSession(s, tally, splits);
    }),
  );
}

/**
 * Tells each sync run what its events did in its org. The newest event carries the write; the
 * others of the session were superseded by it. A share split off for the run's org and retried
 * or deferred counts later, when it settles (it carries the run on).
 */
function attributeSession(s: SessionWrite, tally: Tally, splits: Map<string, 'dead-lettered' | 'retried' | 'deferred'> | null): void {
  for (const e of s.events) {
    const run = e.event.syncRun;
    if (!run) continue;
    if (e !== s.newest) {
      attributeToRun(tally, e.event, { kind: 'unchanged' });
      continue;
    }
    const split = splits?.get(run.orgId);
    if (split === 'dead-lettered') attributeToRun(tally, e.event, { kind: 'failed' });
    else if (split) continue;
    else {
      const outcome = s.outcomes.find((o) => o.orgId === run.orgId);
      // Waiting in the org's outbox: the flush that writes it tells the run (flush.ts).
      if (outcome?.kind === 'ok' && outcome.queued) continue;
      attributeToRun(tally, e.event, outcome?.kind === 'ok' && outcome.effects ? { kind: 'written', effects: outcome.effects } : { kind: 'unchanged' });
    }
  }
}

/** The event a split-off share carries: the version written to the other orgs (SessionWrite.version), so the failed org gets the same record. */
function shareOfVersion(s: SessionWrite): Claimed {
  return s.version ? { ...s.newest, event: s.version } : s.newest;
}

/** Records the session's version as applied (releasing its lock) and completes its events. */
async function markDone(s: SessionWrite, held: Set<string>, deps: ProcessorDeps): Promise<void> {
  await deps.ledger.markApplied(s.newest.event.session.id, s.newest.occurredAt);
  held.delete(s.newest.event.session.id);
  await Promise.all(s.events.map((e) => deps.ledger.completeEvent(e.event.eventId)));
}

/** Dead-letters, re-queues with a back-off, or parks one org's share of an event. */
async function followUp(c: Claimed, failure: FailedOutcome, deps: ProcessorDeps): Promise<'dead-lettered' | 'retried' | 'deferred'> {
  const attempt = (c.event.onlyOrgId ? (c.event.attempt ?? 0) : c.message.receiveCount - 1) + 1;
  const base = c.event.eventId.split('|org:')[0]!;
  // A share for another org than the run's must not be counted for the run a second time.
  const syncRun = c.event.syncRun?.orgId === failure.orgId ? c.event.syncRun : undefined;
  const next = (n: number, extra: Partial<SessionEvent> = {}): SessionEvent => ({
    ...c.event,
    eventId: `${base}|org:${failure.orgId}|${n}`,
    onlyOrgId: failure.orgId,
    syncRun,
    ...extra,
  });
  const meta = { sessionId: c.event.session.id, orgIds: [failure.orgId] };
  const deadLetter = async (reason: string) => {
    // Counted as failed for its run now; a redrive is a new delivery, not the run's.
    const body = JSON.stringify(next(0, { attempt: 0, waitingSince: undefined, syncRun: undefined }));
    await deps.deadLetter({ ...c.message, body }, { reason, eventId: c.event.eventId, ...meta });
    return 'dead-lettered' as const;
  };
  if (failure.kind === 'permanent') return deadLetter(`Salesforce refused the session: org ${failure.orgId}: ${failure.reason}`);
  if (failure.kind === 'deferred') {
    // Waiting is not a failed attempt: the attempt count is carried on unchanged.
    const since = c.event.waitingSince ?? new Date(deps.now()).toISOString();
    const hold = failure.holdMs ?? DEFAULT_HOLD_MS;
    if (deps.now() - Date.parse(since) > hold) {
      return deadLetter(`org ${failure.orgId} kept this session waiting since ${since}, longer than its pauseHoldHours (${Math.round(hold / 3600_000)} h): ${failure.reason}`);
    }
    await deps.requeue(next(Date.now(), { attempt: c.event.attempt ?? 0, waitingSince: since }), deferralDelaySeconds(failure.retryAt, deps.now()));
    return 'deferred';
  }
  if (attempt >= deps.maxReceiveCount) return deadLetter(`gave up after ${attempt} attempts: org ${failure.orgId}: ${failure.reason}`);
  await deps.requeue(next(attempt, { attempt }), backoffDelay(attempt, FOLLOW_UP_BACKOFF) / 1000);
  return 'retried';
}
